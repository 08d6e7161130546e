namespace Sbi.Posteriors;

/// <summary>
/// The <see cref="TimeoutException"/> of a rejection loop that ran past its time limit. Its message says why such a
/// loop is slow (the estimator puts little mass inside the prior's support at this x, so the observation is unlikely
/// under the trained posterior), states the measured acceptance, and says what to do.
/// </summary>
public static class SamplingTimeout
{
    /// <summary>The exception for <paramref name="what"/> after <paramref name="proposed"/> proposals of which <paramref name="accepted"/> were inside the support.</summary>
    public static TimeoutException Create(string what, TimeSpan limit, long accepted, long wanted, long proposed)
    {
        double acceptance = proposed > 0 ? (double)accepted / proposed : 0.0;
        return new TimeoutException(
            $"{what} exceeded maxSamplingTime ({limit.TotalSeconds:F1} s) with {accepted} of {wanted} samples accepted: only {acceptance:P3} of the " +
            $"estimator's mass lies inside the prior's support (measured over {proposed} proposals), so the observation is unlikely under the " +
            "trained posterior. Try another x, more training (more simulations or rounds), or rejectOutsidePrior: false (samples may then " +
            "lie outside the prior).");
    }
}
