namespace Sbi.Parity.Checks;

/// <summary>
/// The agreed tolerances (tests/parity/fixtures/REFERENCE.md, "Reading the tables"): float32 networks in two
/// frameworks differ by summation order only, so log-densities agree to ~1e-5 absolute, losses to ~1e-5 relative;
/// one Adam step moves weights by ≈ ±lr, so steps are compared absolutely at a fraction of lr.
/// </summary>
public static class Tolerances
{
    public const double LogProbAbs = 1e-5;

    /// <summary>
    /// NSF: sbi's own float32 NSF log-densities differ from a float64 evaluation of the same weights by up to
    /// 1.49e-5 (fixture README checks table, nsf_D2: "float64 vs float32"), and between batch sizes by ~1e-5. Two
    /// float32 implementations each within that of the exact value can therefore differ by up to ~3e-5; 1e-5 would
    /// demand sbi's exact rounding sequence, not the same maths.
    /// </summary>
    public const double NsfLogProbAbs = 3e-5;

    /// <summary>The log-density tolerance for an estimator kind.</summary>
    public static double LogProbAbsFor(string estimator) => estimator == "nsf" ? NsfLogProbAbs : LogProbAbs;
    public const double LossRel = 1e-5;
    public const double WeightsRel = 1e-5;
    /// <summary>Gradient norms: gradients agree to ~1e-5 of the largest entry, the norm sums them.</summary>
    public const double GradNormRel = 1e-4;
    public const double StepAbs = 2e-5;
    public const double NoiseSamplesAbs = 1e-4;
    /// <summary>Monte-Carlo comparisons: |z| of a difference of two independent estimates.</summary>
    public const double MonteCarloZ = 4.0;
    public const double C2st = 0.55;

    /// <summary>
    /// Independent trainings (different initial weights and batch orders on each side) cannot be closer than sbi is to
    /// a second sbi training on the same simulations: on the seed example that replicate C2ST is 0.62, above
    /// <see cref="C2st"/>. Their bound is therefore max(0.55, C2ST(sbi, sbi replicate) + 0.03): Sbi.Net may differ
    /// from sbi by no more than sbi differs from itself, plus the margin the estimator issue allows for C2ST.
    /// The lockstep case (same weights and batches) keeps the plain 0.55.
    /// </summary>
    public const double C2stOverReplicate = 0.03;
}
