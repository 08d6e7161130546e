namespace Sbi.Format;

/// <summary>
/// Constants of nflows' and sbi's estimator arithmetic that every implementation here shares (the TorchSharp
/// modules, the fused CPU kernels and the ONNX exporters): defined once so that they cannot drift apart.
/// </summary>
public static class EstimatorConstants
{
    /// <summary>nflows MaskedAffineAutoregressiveTransform: scale = softplus(unconstrained) + 1e-3 (nflows/transforms/autoregressive.py).</summary>
    public const double MafMinScale = 1e-3;

    /// <summary>nflows LULinear: diagonal of U = softplus(unconstrained) + 1e-3 (nflows/transforms/lu.py).</summary>
    public const double LuEpsilon = 1e-3;

    /// <summary>nflows' rational-quadratic spline minimum bin width, fraction of the interval (nflows/transforms/splines/rational_quadratic.py).</summary>
    public const double SplineMinBinWidth = 1e-3;

    /// <summary>nflows' rational-quadratic spline minimum bin height.</summary>
    public const double SplineMinBinHeight = 1e-3;

    /// <summary>nflows' rational-quadratic spline minimum knot derivative.</summary>
    public const double SplineMinDerivative = 1e-3;

    /// <summary>sbi's MultivariateGaussianMDN: ε added to the precision's diagonal in the density, and the init scale (sbi/neural_nets/estimators/mixture_density_estimator.py).</summary>
    public const double MdnEpsilon = 1e-4;

    /// <summary>nflows MixtureOfGaussiansMADE: floor of the standard deviations and scale of the custom init (nflows/nn/nde/made.py).</summary>
    public const double MadeMixtureEpsilon = 1e-2;

    /// <summary>nflows' zero initialisation of residual blocks: the last layer ~ U(−1e-3, 1e-3) (nflows/nn/nets/resnet.py, made.py).</summary>
    public const double ResidualInitRange = 1e-3;

    /// <summary>sbi's floor of θ's z-score standard deviation (sbi/utils/sbiutils.py standardizing_transform, min_std 1e-14).</summary>
    public const double ThetaMinStd = 1e-14;

    /// <summary>sbi's floor of x's z-score standard deviation (standardizing_net, min_std 1e-7).</summary>
    public const double XMinStd = 1e-7;
}
