namespace Sbi.Inference;

/// <summary>sbi's training summary: one entry per <c>Train</c> call or per epoch (concatenated across rounds).</summary>
public sealed class TrainingSummary
{
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
}

/// <summary>What the trainer reports after each epoch.</summary>
public readonly record struct EpochInfo(int Round, int Epoch, double TrainingLoss, double ValidationLoss, double BestValidationLoss, double Seconds);
