using TorchSharp;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// nflows' <c>PointwiseAffineTransform</c>, used by sbi to z-score θ inside flows: y = x·_scale + _shift with
/// buffers _scale = 1/σ and _shift = −μ/σ (0-dim in "structured" mode).
/// </summary>
public sealed class PointwiseAffineTransform : Transform
{
    private Tensor _shift;
    private Tensor _scale;

    /// <summary>Creates the map from the given shift and scale (shape (D) or 0-dim).</summary>
    public PointwiseAffineTransform(Tensor shift, Tensor scale) : base(nameof(PointwiseAffineTransform))
    {
        _shift = shift.detach().clone().DetachFromDisposeScope();
        _scale = scale.detach().clone().DetachFromDisposeScope();
        register_buffer("_shift", _shift);
        register_buffer("_scale", _scale);
    }

    /// <summary>The shift buffer (D) or 0-dim.</summary>
    internal Tensor Shift => _shift;

    /// <summary>The scale buffer (D) or 0-dim.</summary>
    internal Tensor Scale => _scale;

    /// <summary>The z-scoring transform for statistics μ, σ: shift −μ/σ, scale 1/σ.</summary>
    public static PointwiseAffineTransform FromStatistics(Tensor mean, Tensor std)
    {
        using var scope = NewDisposeScope();
        return new PointwiseAffineTransform(-mean / std, Scalars.Of(1.0) / std);
    }

    private Tensor BatchLogAbsDet(Tensor inputs)
    {
        var logScale = _scale.abs().log();
        using Scalar featuresPerRow = inputs.numel() / inputs.shape[0];
        var perRow = logScale.numel() > 1 ? logScale.sum() : logScale * featuresPerRow;
        return perRow.expand(inputs.shape[0]);
    }

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null)
        => ((inputs * _scale).Plus(_shift), BatchLogAbsDet(inputs));

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null)
        => ((inputs - _shift) / _scale, -BatchLogAbsDet(inputs));
}
