using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>
/// A bijection between a prior's support and ℝ^D, sbi's <c>theta_transform</c> (sbi/utils/sbiutils.py,
/// <c>mcmc_transform</c>): <see cref="Forward"/> maps θ in the support to unconstrained u, <see cref="Inverse"/> maps
/// back. MAP optimisation, MCMC and VI work in u so that they never leave the support.
/// </summary>
public interface IBijector
{
    /// <summary>u = T(θ) for rows θ (n, D).</summary>
    Tensor Forward(Tensor theta);

    /// <summary>θ = T⁻¹(u) for rows u (n, D).</summary>
    Tensor Inverse(Tensor u);

    /// <summary>log |det ∂u/∂θ| per row (n), summed over the D entries (torch's IndependentTransform).</summary>
    Tensor LogAbsDetJacobian(Tensor theta, Tensor u);
}
