namespace Sbi.Onnx.Export;

/// <summary>Options of <see cref="PosteriorExporter.Export"/>.</summary>
public sealed class ExportOptions
{
    /// <summary>
    /// MAF / made sampling: compute each hidden unit once, in the autoregressive pass where it first
    /// becomes needed (exact; default true). False unrolls D full masked passes per MADE, as nflows does.
    /// </summary>
    public bool PruneAutoregressivePasses { get; init; } = true;

    /// <summary>
    /// made sampling: reproduce sbi's sampler, which also samples the dummy first coordinate of the
    /// MADE mixture and conditions on it (default true: samples match sbi's <c>sample()</c>). False keeps the
    /// dummy at 0, i.e. samples from the density that <c>log_prob</c> evaluates.
    /// </summary>
    public bool MadeSampleDummyLikeSbi { get; init; } = true;
}
