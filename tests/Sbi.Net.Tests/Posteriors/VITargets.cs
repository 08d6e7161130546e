using Sbi.Distributions;
using Sbi.Potentials;
using Sbi.Samplers.Vi;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>
/// Closed-form targets for VI tests: potentials θ ↦ log p̃(θ) = log p(θ) + c with a known normalised density p, in float32
/// (the potential's precision in the library) with a float64 reference of the same formula for exact comparisons.
/// </summary>
internal static class VITargets
{
    /// <summary>log N(θ; μ, diag σ²) + c for rows θ (n, D), in θ's dtype.</summary>
    public static Tensor GaussianLogDensity(Tensor theta, double[] mu, double[] sigma, double c = 0)
    {
        var m = tensor(mu, dtype: theta.dtype, device: theta.device);
        var s = tensor(sigma, dtype: theta.dtype, device: theta.device);
        var z = (theta - m) / s;
        double norm = sigma.Sum(Math.Log) + 0.5 * mu.Length * Math.Log(2 * Math.PI);
        return -0.5 * z.pow(2).sum(-1) + (c - norm);
    }

    /// <summary>KL(N(m₁, Σ₁) ‖ N(m₂, diag σ₂²)) in float64, the closed form.</summary>
    public static double KlToDiagonalGaussian(double[] m1, double[,] cov1, double[] m2, double[] s2)
    {
        int d = m1.Length;
        double trace = 0, quad = 0, logDet2 = 0;
        for (int i = 0; i < d; i++)
        {
            trace += cov1[i, i] / (s2[i] * s2[i]);
            quad += Math.Pow(m2[i] - m1[i], 2) / (s2[i] * s2[i]);
            logDet2 += 2 * Math.Log(s2[i]);
        }
        var c = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(cov1);
        return 0.5 * (trace + quad - d + logDet2 - Math.Log(c.Determinant()));
    }
}

/// <summary>log N(θ; μ, diag σ²) + c, independent of x (the prior is only q's support, warm-up target and transform).</summary>
internal sealed class GaussianTarget(IDistribution prior, double[] mu, double[] sigma, double c = 0) : BasePotential(prior, null)
{
    public double[] Mu { get; } = mu;
    public double[] Sigma { get; } = sigma;
    public double C { get; } = c;

    public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
    {
        using var grad = trackGradients ? enable_grad() : no_grad();
        var th = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        return VITargets.GaussianLogDensity(th, Mu, Sigma, C);
    }
}

/// <summary>
/// w·N(θ; (a, 0), s²I) + (1 − w)·N(θ; (−a, 0), s²I) in D = 2, unnormalised by c: two modes 2a/s standard deviations apart.
/// </summary>
internal sealed class BimodalTarget(IDistribution prior, double a, double s, double w, double c = 0) : BasePotential(prior, null)
{
    public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
    {
        using var grad = trackGradients ? enable_grad() : no_grad();
        var th = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        var heavy = VITargets.GaussianLogDensity(th, [a, 0], [s, s], c + Math.Log(w));
        var light = VITargets.GaussianLogDensity(th, [-a, 0], [s, s], c + Math.Log(1 - w));
        return stack([heavy, light], 0).logsumexp(0);
    }
}

/// <summary>
/// A banana: θ₁ ~ N(0, 1), θ₂ | θ₁ ~ N(θ₁² − 1, s²), normalised; its moments are E θ = 0, Var θ₁ = 1, Var θ₂ = 2 + s²,
/// Cov = 0 (E θ₁³ = 0, Var θ₁² = 2).
/// </summary>
internal sealed class BananaTarget(IDistribution prior, double s) : BasePotential(prior, null)
{
    public double S { get; } = s;

    public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
    {
        using var grad = trackGradients ? enable_grad() : no_grad();
        var th = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        var t1 = th.select(1, 0);
        var t2 = th.select(1, 1);
        var r = (t2 - (t1.pow(2) - 1)) / S;
        return -0.5 * t1.pow(2) - 0.5 * r.pow(2) - (Math.Log(S) + Math.Log(2 * Math.PI));
    }
}

/// <summary>
/// The linear-Gaussian posterior with prior N(0, I) and x = θ + σε: p(θ | x) = N(x/(1 + σ²), σ²/(1 + σ²)·I), evaluated
/// paired (θᵢ at xᵢ) for amortised VI, or at the set x_o.
/// </summary>
internal sealed class LinearGaussianPosterior(IDistribution prior, double sigma) : BasePotential(prior, null), IPairedPotential
{
    public double Shrink => 1 / (1 + sigma * sigma);
    public double Std => Math.Sqrt(sigma * sigma / (1 + sigma * sigma));

    public Tensor EvaluatePaired(Tensor theta, Tensor x, bool trackGradients)
    {
        using var grad = trackGradients ? enable_grad() : no_grad();
        var z = (theta - x * Shrink) / Std;
        return -0.5 * z.pow(2).sum(-1) - theta.shape[1] * (Math.Log(Std) + 0.5 * Math.Log(2 * Math.PI));
    }

    public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
    {
        var th = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        return EvaluatePaired(th, RequireX().expand(th.shape[0], -1), trackGradients);
    }
}
