namespace Sbi.Tracking;

/// <summary>
/// sbi's <c>Tracker</c> protocol (sbi/sbi_types.py; sbi/utils/tracking.py holds its TensorBoard adapter): where a
/// trainer sends its training statistics. A trainer logs, per <c>Train</c> call, <c>epochs_trained</c> and
/// <c>best_validation_loss</c> at step round + 1 and, per epoch, <c>validation_loss</c>, <c>training_loss</c> and
/// <c>epoch_durations_sec</c> at the epoch's index over all rounds (see <see cref="TrackerTags"/>), then flushes.
/// <see cref="TensorBoardTracker"/> writes TensorBoard event files; <see cref="NullTracker"/> drops everything.
/// </summary>
public interface ITracker
{
    /// <summary>The folder the tracker writes to, or null when it writes none.</summary>
    string? LogDir { get; }

    /// <summary>Logs one scalar under <paramref name="name"/> at <paramref name="step"/> (null: step 0, as TensorBoard).</summary>
    void LogMetric(string name, double value, int? step = null);

    /// <summary>Logs several scalars at the same step (sbi: one <see cref="LogMetric"/> per entry, in order).</summary>
    void LogMetrics(IReadOnlyDictionary<string, double> metrics, int? step = null);

    /// <summary>Logs parameters as text, one entry per name (sbi: under the tag <c>params/&lt;name&gt;</c>).</summary>
    void LogParams(IReadOnlyDictionary<string, object?> parameters);

    /// <summary>Logs a figure, given as a PNG file (what the plots of Sbi.Net write), under <paramref name="name"/>.</summary>
    void AddFigure(string name, string pngFile, int? step = null);

    /// <summary>Makes everything logged so far visible to readers.</summary>
    void Flush();
}

/// <summary>The scalar tags sbi's trainers log (sbi/inference/trainers/base.py, <c>_summarize</c>), also the keys of <c>TrainingSummary</c>.</summary>
public static class TrackerTags
{
    /// <summary>Epoch counter at the end of a <c>Train</c> call; step: round + 1.</summary>
    public const string EpochsTrained = "epochs_trained";
    /// <summary>Best validation loss of a <c>Train</c> call; step: round + 1.</summary>
    public const string BestValidationLoss = "best_validation_loss";
    /// <summary>Validation loss of an epoch; step: the epoch's index over all rounds (from 0).</summary>
    public const string ValidationLoss = "validation_loss";
    /// <summary>Training loss of an epoch; step: as <see cref="ValidationLoss"/>.</summary>
    public const string TrainingLoss = "training_loss";
    /// <summary>Wall-clock seconds of an epoch; step: as <see cref="ValidationLoss"/>.</summary>
    public const string EpochDurationsSec = "epoch_durations_sec";
    /// <summary>The prefix of <see cref="ITracker.LogParams"/> tags.</summary>
    public const string ParamsPrefix = "params/";
}
