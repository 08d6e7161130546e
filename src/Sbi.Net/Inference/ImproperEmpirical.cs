using static TorchSharp.torch;
using Sbi.Distributions;

namespace Sbi.Inference;

/// <summary>
/// sbi's improper "empirical" prior used when NPE-B gets no prior: log_prob ≡ 0, every θ in the support, mean
/// and std from the appended θ, sampling draws stored θ rows. Allowed for single-round training only.
/// </summary>
public sealed class ImproperEmpirical : IDistribution
{
    private readonly Tensor _samples;

    /// <summary>Creates the prior over the given θ rows (n, D).</summary>
    public ImproperEmpirical(Tensor samples) { _samples = samples.detach().clone().DetachFromDisposeScope(); }

    /// <inheritdoc/>
    public int Dim => (int)_samples.shape[1];
    /// <inheritdoc/>
    public Device Device => _samples.device;
    /// <inheritdoc/>
    public Tensor Mean => _samples.mean(new long[] { 0 });
    /// <inheritdoc/>
    public Tensor Stddev => _samples.std(0);
    /// <inheritdoc/>
    public Tensor Sample(long n) => _samples.index_select(0, randint(_samples.shape[0], new[] { n }, device: Device));
    /// <inheritdoc/>
    public Tensor LogProb(Tensor theta) => zeros(theta.shape[..^1], device: theta.device);
    /// <inheritdoc/>
    public Tensor WithinSupport(Tensor theta) => ones(theta.shape[..^1], dtype: ScalarType.Bool, device: theta.device);
}
