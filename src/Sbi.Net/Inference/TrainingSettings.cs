using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>The arguments of sbi's <c>train</c> that the training loop (<see cref="NeuralInference"/>) uses; sbi's defaults.</summary>
public sealed record TrainingSettings
{
    /// <summary>Rows per batch (200).</summary>
    public int TrainingBatchSize { get; init; } = 200;
    /// <summary>Adam learning rate (5e-4).</summary>
    public double LearningRate { get; init; } = 5e-4;
    /// <summary>Fraction of rows held out for validation, in (0, 1) (0.1).</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Early-stopping patience (20).</summary>
    public int StopAfterEpochs { get; init; } = 20;
    /// <summary>Epoch cap; as in sbi up to MaxNumEpochs + 1 epochs run.</summary>
    public int MaxNumEpochs { get; init; } = int.MaxValue;
    /// <summary>Gradient-norm clip (5.0); null disables.</summary>
    public double? ClipMaxNorm { get; init; } = 5.0;
    /// <summary>Weights per x row multiplying the per-row losses; null: 1.</summary>
    public Func<Tensor, Tensor>? CalibrationKernel { get; init; }
    /// <summary>Continue the previous call's optimiser, split, epoch counter and best weights.</summary>
    public bool ResumeTraining { get; init; }
    /// <summary>Build a fresh network before training.</summary>
    public bool RetrainFromScratch { get; init; }
    /// <summary>Print a short summary after training.</summary>
    public bool ShowTrainSummary { get; init; }
    /// <summary>The first round whose simulations are trained on (0: all).</summary>
    public int StartingRound { get; init; }
    /// <summary>Told after every epoch (epoch, losses, durations): for a GUI's or service's progress display.</summary>
    public IProgress<EpochInfo>? Progress { get; init; }
    /// <summary>Stops training between batches (best weights are restored).</summary>
    public CancellationToken CancellationToken { get; init; }
}
