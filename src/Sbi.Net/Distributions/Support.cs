using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>sbi's <c>within_support</c> (sbi/utils/sbiutils.py), evaluated where the prior lives.</summary>
public static class Support
{
    /// <summary>Whether each row of θ (n, D) lies in the prior's support (n), on θ's device; a prior may stay on the CPU for a GPU estimator.</summary>
    public static Tensor Within(IDistribution prior, Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(theta);
        var d = prior.Device;
        bool same = d.type == theta.device.type && d.index == theta.device.index;
        return same ? prior.WithinSupport(theta) : prior.WithinSupport(theta.to(d)).to(theta.device);
    }
}
