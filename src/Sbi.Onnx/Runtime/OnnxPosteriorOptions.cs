namespace Sbi.Onnx.Runtime;

/// <summary>Options of <see cref="OnnxPosterior.Load"/>.</summary>
public sealed class OnnxPosteriorOptions
{
    /// <summary>ONNX Runtime intra-op threads per call (0 = ONNX Runtime's default, one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Ask for the CUDA execution provider; falls back to CPU with a message when it is absent.</summary>
    public bool UseCuda { get; init; }

    /// <summary>CUDA device ordinal used when <see cref="UseCuda"/> is set.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Largest number of candidates per rejection batch (sbi's max_sampling_batch_size, 10,000).</summary>
    public int MaxSamplingBatchSize { get; init; } = 10_000;

    /// <summary>Time limit of one <see cref="OnnxPosterior.Sample(int, float[], Random)"/> call; null = none (sbi's default: may loop forever).</summary>
    public TimeSpan? MaxSamplingTime { get; init; }

    /// <summary>Accepted samples used to estimate the leakage-correction factor (sbi: 10,000).</summary>
    public int LeakageRejectionSamples { get; init; } = 10_000;

    /// <summary>Seed of the random source used for leakage-correction estimates (deterministic per x).</summary>
    public int LeakageSeed { get; init; }

    /// <summary>Receives warnings (low acceptance, CUDA fallback). Default: standard error.</summary>
    public Action<string>? Log { get; init; }
}
