namespace Sbi.Samplers;

/// <summary>
/// What HMC and NUTS expose besides <see cref="IMcmcKernel"/>: the tuning warm-up produced (step size, inverse mass
/// diagonal) and the cost of the last draw, for diagnostics and for tests that check the adaptation.
/// </summary>
public interface IHamiltonianKernel : IMcmcKernel
{
    /// <summary>
    /// The nominal step size ε: dual averaging's iterate during warm-up, exp(x̄) after it. Set it before the first
    /// step to skip the initial heuristic (warm-up still adapts it; without warm-up it stays).
    /// </summary>
    double StepSize { get; set; }

    /// <summary>The inverse mass diagonal M⁻¹ (1 until the first slow window of warm-up closes, then the regularised marginal variances).</summary>
    ReadOnlySpan<double> InverseMassDiagonal { get; }

    /// <summary>Slow windows of the metric adaptation completed so far, and the draws of the last one.</summary>
    (int Completed, int LastDraws) MassWindows { get; }

    /// <summary>Leapfrog steps (target evaluations) of the last draw.</summary>
    int LeapfrogSteps { get; }

    /// <summary>The chain's current log density.</summary>
    double LogDensity { get; }
}
