using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>nflows' <c>StandardNormal</c>: log N(z) = −½‖z‖² − (D/2) log 2π; the constant is a non-persistent buffer.</summary>
public sealed class StandardNormal : BaseDistribution
{
    private Tensor _log_z;

    /// <summary>Standard normal over <paramref name="features"/> dimensions.</summary>
    public StandardNormal(int features) : base(nameof(StandardNormal))
    {
        Features = features;
        _log_z = tensor((float)(0.5 * features * Math.Log(2 * Math.PI))).DetachFromDisposeScope();
        register_buffer("_log_z", _log_z, persistent: false);
    }

    /// <summary>Dimension D.</summary>
    public int Features { get; }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor z, Tensor? context) => Scalars.Of(-0.5) * z.pow(Scalars.Of(2)).sum(-1) - _log_z;

    /// <inheritdoc/>
    public override Tensor Sample(long numSamples, Tensor context)
        => randn(new long[] { context.shape[0] * numSamples, Features }, dtype: ScalarType.Float32, device: _log_z.device);
}
