namespace Sbi.Samplers.Vi;

/// <summary>
/// One step of VI training, reported through <see cref="IProgress{T}"/> (sbi's progress bar shows the loss's moving
/// average and spread). <paramref name="Phase"/> is "warm-up" (q fitted to the prior), "train" (single observation) or
/// "amortized"; <paramref name="Iteration"/> counts from 0 within the phase; <paramref name="ValidationLoss"/> is set in
/// amortised training only.
/// </summary>
public sealed record VIProgress(string Phase, int Iteration, double Loss, double MovingAverage, double MovingStd,
                                double LearningRate, double? ValidationLoss = null);

/// <summary>
/// What a VI training did: iterations run (warm-up not counted), whether it stopped by the convergence check or was
/// cancelled, the iteration of the best q (lowest moving-average loss in single-observation training, lowest
/// validation loss in amortised training) and that loss, the last moving-average (or validation) loss, and the seconds
/// spent (warm-up included).
/// </summary>
public sealed record VITrainingSummary(string Method, int Iterations, int WarmUpSteps, bool Converged, bool Cancelled,
                                       int BestIteration, double BestLoss, double FinalLoss, double Seconds);

/// <summary>
/// A VI training stopped because a value was not finite: the potential at q's samples, or the loss (q's own densities
/// or an overflowing step). <see cref="Iteration"/> names the step ("warm-up" steps count separately); the best q seen so
/// far has been restored before this is thrown.
/// </summary>
public sealed class VITrainingException(string message, string phase, int iteration) : InvalidOperationException(message)
{
    /// <summary>"warm-up", "train" or "amortized".</summary>
    public string Phase { get; } = phase;

    /// <summary>The step (from 0 within <see cref="Phase"/>) whose values were not finite.</summary>
    public int Iteration { get; } = iteration;
}
