using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>
/// u = logit((θ − low) / (high − low)), the inverse of torch's <c>biject_to(interval)</c> (a sigmoid then an affine map)
/// that sbi's <c>mcmc_transform</c> returns for a box prior. As torch does, the box-normalised θ is clamped to
/// [tiny, 1 − eps] both ways, so θ on the box's faces maps to large finite u instead of ±∞, and a large u to θ just
/// inside the box.
/// </summary>
public sealed class SigmoidBoxBijector : IBijector
{
    private readonly Tensor _low, _width;

    /// <summary>The transform of the box [low, high] (D each, low &lt; high).</summary>
    public SigmoidBoxBijector(Tensor low, Tensor high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        using var scope = NewDisposeScope();
        var width = high - low;
        if (!width.gt(Scalars.Of(0)).all().item<bool>()) throw new ArgumentException("high must exceed low in every dimension.", nameof(high));
        _low = low.detach().clone().DetachFromDisposeScope();
        _width = width.detach().clone().DetachFromDisposeScope();
    }

    private Tensor Unit(Tensor theta) => Clipped((theta - _low.to(theta.dtype, theta.device)) / _width.to(theta.dtype, theta.device));

    /// <summary>s clamped to [tiny, 1 − eps] of its dtype, as torch's SigmoidTransform clamps both ways (<c>_clipped_sigmoid</c>).</summary>
    private static Tensor Clipped(Tensor s)
    {
        double eps = s.dtype == ScalarType.Float64 ? 2.220446049250313e-16 : 1.1920929e-07;   // torch.finfo(dtype).eps
        double tiny = s.dtype == ScalarType.Float64 ? 2.2250738585072014e-308 : 1.17549435e-38;   // torch.finfo(dtype).tiny
        return s.clamp(Scalars.Of(tiny), Scalars.Of(1 - eps));
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor theta)
    {
        using var scope = NewDisposeScope();
        var s = Unit(theta);
        return (s.log() - (-s).log1p()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// θ = low + width·s with s = sigmoid(u) clamped to [tiny, 1 − eps], torch's <c>_clipped_sigmoid</c>
    /// (torch/distributions/transforms.py, SigmoidTransform._call): without the clamp a large u rounds s to exactly 1
    /// and θ onto the box's upper face, where the prior's half-open log-density is −∞ (a fresh VI q, wide in u, drew
    /// such θ at its first warm-up step).
    /// </summary>
    public Tensor Inverse(Tensor u)
    {
        using var scope = NewDisposeScope();
        return _low.to(u.dtype, u.device).Plus(_width.to(u.dtype, u.device) * Clipped(u.sigmoid())).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor LogAbsDetJacobian(Tensor theta, Tensor u)
    {
        // du/dθ = 1 / (w · s · (1 − s)) per entry.
        using var scope = NewDisposeScope();
        var s = Unit(theta);
        // The width's log in θ's precision (float64 θ: a reference evaluation).
        var logWidthSum = _width.to(theta.dtype, theta.device).log().sum();
        return (-s.log().Plus((-s).log1p()).sum(-1) - logWidthSum).MoveToOuterDisposeScope();
    }
}
