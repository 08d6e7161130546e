using Sbi.Distributions;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Potentials;

/// <summary>sbi's potential factories (sbi/inference/potentials/*.py): a potential with the θ transform to sample it in.</summary>
public static class PotentialFactory
{
    /// <summary>
    /// sbi's <c>posterior_estimator_based_potential</c>: the estimator's potential at <paramref name="xo"/> and the prior's
    /// <see cref="IDistribution.ThetaTransform"/> (the identity when <paramref name="enableTransform"/> is false).
    /// </summary>
    public static (PosteriorBasedPotential Potential, IBijector ThetaTransform) PosteriorEstimatorBased(
        ConditionalDensityEstimator posteriorEstimator, IDistribution prior, Tensor? xo, bool enableTransform = true)
    {
        var potential = new PosteriorBasedPotential(posteriorEstimator, prior, xo);
        return (potential, ThetaTransformOf(prior, enableTransform));
    }

    /// <summary>The prior's θ transform, or the identity.</summary>
    public static IBijector ThetaTransformOf(IDistribution prior, bool enableTransform)
    {
        ArgumentNullException.ThrowIfNull(prior);
        if (enableTransform) return prior.ThetaTransform;
        using var zero = zeros(prior.Dim);
        using var one = ones(prior.Dim);
        return new AffineBijector(zero, one);
    }
}
