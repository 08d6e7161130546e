using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>
/// A distribution over D-dimensional parameters, usable as an sbi prior. Implement it for a custom prior:
/// <see cref="Sample"/>, <see cref="IDensity.LogProb"/> (−inf outside the support, never an exception) and
/// <see cref="WithinSupport"/> are what NPE-B and <c>DirectPosterior</c> use; <see cref="ThetaTransform"/> is what MAP,
/// MCMC and VI use (a prior with bounded support other than a box should supply its own).
/// </summary>
public interface IDistribution : IDensity
{
    /// <summary>Number of parameters D.</summary>
    int Dim { get; }

    /// <summary>Draws <paramref name="n"/> samples, shape (n, D), float32, from the global torch generator.</summary>
    Tensor Sample(long n);

    /// <summary>Boolean tensor (n): whether each row of theta (n, D) lies in the support.</summary>
    Tensor WithinSupport(Tensor theta);

    /// <summary>Mean, shape (D).</summary>
    Tensor Mean { get; }

    /// <summary>Standard deviation, shape (D).</summary>
    Tensor Stddev { get; }

    /// <summary>The device the distribution's tensors live on.</summary>
    Device Device { get; }

    /// <summary>
    /// The map from the support to ℝ^D (sbi's <c>mcmc_transform</c>). Default: z-scoring with <see cref="Mean"/> and
    /// <see cref="Stddev"/>, sbi's choice for unbounded supports; <see cref="BoxUniform"/> uses a logit.
    /// </summary>
    IBijector ThetaTransform => AffineBijector.Standardizing(this);
}
