namespace Sbi.Inference;

/// <summary>Raised when a training or validation loss is NaN or infinite; the best weights have been restored.</summary>
public sealed class NonFiniteLossException : InvalidOperationException
{
    /// <summary>Creates the exception for the (1-based) epoch.</summary>
    public NonFiniteLossException(int epoch)
        : base($"NaN/Inf present in the NPE loss in epoch {epoch}; training stopped and the best weights so far were restored.") => Epoch = epoch;

    /// <summary>The 1-based epoch in which the loss was not finite.</summary>
    public int Epoch { get; }
}
