namespace Sbi.Samplers;

/// <summary>
/// Hoffman and Gelman's initial step size (2014, "The No-U-Turn Sampler", Algorithm 4, <c>FindReasonableEpsilon</c>):
/// from ε₀ draw one momentum, take one leapfrog step, and double ε while the step's acceptance ratio
/// p(q′, p′)/p(q, p) = e^(H₀ − H′) stays above ½ (or halve it while it stays below ½) until the ratio crosses ½.
/// Dual averaging starts from the result, so only its order of magnitude matters. Stan's <c>init_stepsize</c> runs
/// the same loop (with a threshold of 0.8 and a fresh momentum per try); the paper's form is kept here.
/// </summary>
internal static class StepSizeHeuristic
{
    /// <summary>Doublings or halvings at most: 2^±100 spans any step size a float64 target can use (Stan throws past 10⁷ or at 0; here the loop stops).</summary>
    public const int MaxIterations = 100;

    /// <summary>Alg. 4's threshold on the one-step acceptance ratio, ½.</summary>
    public static readonly double LogThreshold = Math.Log(0.5);

    /// <summary>
    /// A reasonable step size at <paramref name="start"/> (finite log density and gradient), starting from
    /// <paramref name="epsilon0"/>; <paramref name="start"/>'s momentum is overwritten, its position kept.
    /// </summary>
    public static double Find(Hamiltonian hamiltonian, PhasePoint start, PhasePoint scratch, GaussianDraws normal, double epsilon0)
    {
        double epsilon = double.IsFinite(epsilon0) && epsilon0 > 0 ? epsilon0 : 1.0;
        hamiltonian.SampleMomentum(start, normal);
        double h0 = hamiltonian.Energy(start);
        double logRatio = OneStep(hamiltonian, start, scratch, epsilon, h0);
        int direction = logRatio > LogThreshold ? 1 : -1;
        // Alg. 4's loop condition (ratio)^a > 2^−a, in logs: a·log ratio > −a·log 2, i.e. a·(log ratio − log ½) > 0.
        for (int i = 0; i < MaxIterations && direction * (logRatio - LogThreshold) > 0; i++)
        {
            epsilon = direction > 0 ? 2 * epsilon : 0.5 * epsilon;
            logRatio = OneStep(hamiltonian, start, scratch, epsilon, h0);
        }
        return epsilon;
    }

    /// <summary>H₀ − H after one leapfrog step from <paramref name="start"/>; −∞ where the step leaves the support or the energy is not finite.</summary>
    private static double OneStep(Hamiltonian hamiltonian, PhasePoint start, PhasePoint scratch, double epsilon, double h0)
    {
        scratch.CopyFrom(start);
        hamiltonian.Leapfrog(scratch, epsilon);
        double delta = h0 - hamiltonian.Energy(scratch);
        return double.IsNaN(delta) ? double.NegativeInfinity : delta;
    }
}
