using TorchSharp;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>
/// u = (θ − loc) / scale: sbi's transform for priors with unbounded support (<c>mcmc_transform</c> z-scores with the
/// prior's mean and standard deviation), and the identity for loc 0, scale 1.
/// </summary>
public sealed class AffineBijector : IBijector
{
    private readonly Tensor _loc, _scale;

    /// <summary>The transform with per-dimension <paramref name="loc"/> and <paramref name="scale"/> (D), scale &gt; 0.</summary>
    public AffineBijector(Tensor loc, Tensor scale)
    {
        ArgumentNullException.ThrowIfNull(loc);
        ArgumentNullException.ThrowIfNull(scale);
        using var scope = NewDisposeScope();
        if (!scale.gt(Scalars.Of(0)).all().item<bool>()) throw new ArgumentException("scale must be positive in every dimension.", nameof(scale));
        _loc = loc.detach().clone().DetachFromDisposeScope();
        _scale = scale.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>sbi's z-scoring transform of a prior: loc = mean, scale = standard deviation.</summary>
    public static AffineBijector Standardizing(IDistribution prior)
    {
        ArgumentNullException.ThrowIfNull(prior);
        using var mean = prior.Mean;
        using var std = prior.Stddev;
        return new AffineBijector(mean, std);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor theta) => (theta - _loc.to(theta.dtype, theta.device)) / _scale.to(theta.dtype, theta.device);

    /// <inheritdoc/>
    public Tensor Inverse(Tensor u) => _loc.to(u.dtype, u.device).Plus(_scale.to(u.dtype, u.device) * u);

    /// <inheritdoc/>
    public Tensor LogAbsDetJacobian(Tensor theta, Tensor u)
    {
        // In θ's precision: a float64 θ (a reference evaluation) gets the float64 log of the stored scale.
        using var scope = NewDisposeScope();
        var logScaleSum = _scale.to(theta.dtype, theta.device).log().sum();
        return (-logScaleSum).expand(theta.shape[0]).contiguous().MoveToOuterDisposeScope();
    }
}
