using System.Globalization;
using Sbi.Tracking;

namespace Sbi.Inference;

/// <summary>
/// sbi's training summary (<c>NeuralInference._summary</c>, sbi/inference/trainers/base.py): the five lists sbi keeps,
/// one entry per <c>Train</c> call or per epoch, concatenated across rounds. The same values go to the trainer's
/// <c>Tracker</c> under the same names (<see cref="TrackerTags"/>); <see cref="this[string]"/> and
/// <see cref="ToDictionary"/> give them by those names, as sbi's <c>summary</c> dict does.
/// </summary>
public sealed class TrainingSummary
{
    /// <summary>sbi's keys, in sbi's order.</summary>
    public static IReadOnlyList<string> Keys { get; } = new[]
    {
        TrackerTags.EpochsTrained, TrackerTags.BestValidationLoss, TrackerTags.ValidationLoss, TrackerTags.TrainingLoss, TrackerTags.EpochDurationsSec,
    };

    /// <summary>Epoch counter at the end of each <c>Train</c> call (cumulative when resuming).</summary>
    public List<int> EpochsTrained { get; } = new();
    /// <summary>Best validation loss of each <c>Train</c> call.</summary>
    public List<double> BestValidationLoss { get; } = new();
    /// <summary>Per-row average validation loss of every epoch.</summary>
    public List<double> ValidationLoss { get; } = new();
    /// <summary>Per-row average training loss of every epoch.</summary>
    public List<double> TrainingLoss { get; } = new();
    /// <summary>Wall-clock seconds of every epoch.</summary>
    public List<double> EpochDurationsSec { get; } = new();

    /// <summary>A list by sbi's key (<c>summary["validation_loss"]</c>); epoch counts as doubles. A copy.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Keys"/>.</exception>
    public IReadOnlyList<double> this[string key] => key switch
    {
        TrackerTags.EpochsTrained => EpochsTrained.Select(e => (double)e).ToList(),
        TrackerTags.BestValidationLoss => BestValidationLoss.ToList(),
        TrackerTags.ValidationLoss => ValidationLoss.ToList(),
        TrackerTags.TrainingLoss => TrainingLoss.ToList(),
        TrackerTags.EpochDurationsSec => EpochDurationsSec.ToList(),
        _ => throw new ArgumentException($"'{key}' is not a key of the training summary; valid keys are: {string.Join(", ", Keys)}.", nameof(key)),
    };

    /// <summary>All five lists by sbi's keys, in sbi's order (copies).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> ToDictionary() => Keys.ToDictionary(k => k, k => this[k]);

    /// <summary>
    /// sbi's <c>_describe_round</c>, what <c>showTrainSummary</c> prints after a training: the round (0-based
    /// <paramref name="round"/>, shown from 1), the last call's epochs and best validation loss (4 decimals).
    /// </summary>
    /// <exception cref="InvalidOperationException">No training has finished yet.</exception>
    public string DescribeRound(int round)
    {
        if (EpochsTrained.Count == 0 || BestValidationLoss.Count == 0)
            throw new InvalidOperationException("the training summary is empty: no Train call has finished yet.");
        var best = BestValidationLoss[^1].ToString("F4", CultureInfo.InvariantCulture);
        return string.Join(Environment.NewLine,
            "-------------------------",
            $"||||| ROUND {round + 1} STATS |||||:",
            "-------------------------",
            $"Epochs trained: {EpochsTrained[^1]}",
            $"Best validation performance: {best}",
            "-------------------------");
    }
}

/// <summary>
/// What the trainer reports after each epoch (to <c>Train</c>'s <c>progress</c> and <see cref="NeuralInference.EpochCompleted"/>):
/// the round (from 0), the epochs trained in this call so far, the epoch's mean training and validation loss, the best
/// validation loss so far, the epoch's seconds and the seconds since the <c>Train</c> call began.
/// </summary>
public readonly record struct EpochInfo(int Round, int Epoch, double TrainingLoss, double ValidationLoss, double BestValidationLoss, double Seconds,
                                        double ElapsedSeconds);
