using Sbi.Potentials;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>
/// A potential with a known normalisation constant for tests: log N(θ; μ, σ²I) + c, independent of x, so
/// ∫ exp(potential) dθ = exp(c) exactly.
/// </summary>
internal sealed class ShiftedGaussianPotential(double[] mu, double sigma, double c) : BasePotential(null, null)
{
    public double[] Mu { get; } = mu;
    public double Sigma { get; } = sigma;
    public double C { get; } = c;

    public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
    {
        using var grad = trackGradients ? enable_grad() : no_grad();
        var th = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        var mu = tensor(Mu.Select(m => (float)m).ToArray(), device: th.device);
        var z = (th.to(ScalarType.Float32) - mu) / Sigma;
        return -0.5 * z.pow(2).sum(-1) + (C - Mu.Length * (Math.Log(Sigma) + 0.5 * Math.Log(2 * Math.PI)));
    }
}
