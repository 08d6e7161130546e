using Sbi.Distributions;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// sbibm's <c>gaussian_linear</c> (sbibm/tasks/gaussian_linear/task.py, dim 10): θ ~ N(0, 0.1·I) and x ~ N(θ, 0.1·I).
/// sbibm's <c>prior_scale</c> and <c>simulator_scale</c> of 0.1 enter as <c>precision_matrix = inverse(scale · I)</c>,
/// so 0.1 is a variance (standard deviation √0.1 ≈ 0.316), not the standard deviation its docstring says. The posterior
/// is N(x_o / 2, 0.05·I) (<see cref="AnalyticPosterior"/>).
/// </summary>
public sealed class GaussianLinear : SbibmTask
{
    /// <summary>sbibm's prior and noise variance.</summary>
    public const double Variance = 0.1;

    /// <summary>The task with its prior N(0, 0.1·I₁₀).</summary>
    public GaussianLinear() : base(MakePrior()) { }

    private static MultivariateNormal MakePrior()
    {
        using var loc = zeros(10);
        using var eye10 = eye(10);
        using Scalar v = Variance;
        using var cov = eye10.mul(v);
        return new MultivariateNormal(loc, cov);
    }

    /// <inheritdoc/>
    public override string Name => "gaussian_linear";
    /// <inheritdoc/>
    public override int DimParameters => 10;
    /// <inheritdoc/>
    public override int DimData => 10;

    /// <inheritdoc/>
    protected override Tensor SimulateCore(Tensor theta, Generator? generator) => GaussianNoise.Add(theta, Variance, generator);

    /// <summary>
    /// The exact posterior at <paramref name="xo"/> (1, 10) or (10): N(Σ(Λ_x x_o + Λ_θ·0), Σ) with Σ = (Λ_θ + Λ_x)⁻¹,
    /// Λ = 10·I for both, i.e. N(x_o / 2, 0.05·I) (sbibm's <c>_get_reference_posterior</c>).
    /// </summary>
    public static MultivariateNormal AnalyticPosterior(Tensor xo)
    {
        ArgumentNullException.ThrowIfNull(xo);
        if (xo.numel() != 10) throw new ArgumentException($"xo must hold 10 values; got shape [{string.Join(", ", xo.shape)}].", nameof(xo));
        using var scope = NewDisposeScope();
        double precision = 1 / Variance;
        double posteriorVariance = 1 / (precision + precision);
        using Scalar meanFactor = posteriorVariance * precision, v = posteriorVariance;
        var mean = xo.reshape(10).to(ScalarType.Float32).mul(meanFactor);
        var cov = eye(10).mul_(v);
        return new MultivariateNormal(mean, cov);
    }
}

/// <summary>The simulator both Gaussian linear tasks share: x = θ + √variance · ε, ε ~ N(0, I).</summary>
internal static class GaussianNoise
{
    public static Tensor Add(Tensor theta, double variance, Generator? generator)
    {
        var e = randn(theta.shape, ScalarType.Float32, generator: generator);
        using Scalar sd = Math.Sqrt(variance);
        return e.mul_(sd).add_(theta);
    }
}
