using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// Proposal samples (n, D) with their log importance weights (n), log w = potential − log proposal: sbi's
/// <c>importance_sample</c> result (sbi/samplers/importance/importance_sampling.py), with the weights' quality signals.
/// </summary>
public readonly record struct WeightedSamples(Tensor Samples, Tensor LogWeights)
{
    /// <summary>Kish's effective sample size of the weights (<see cref="ImportanceWeights.EffectiveSampleSize"/>).</summary>
    public double EffectiveSampleSize => ImportanceWeights.EffectiveSampleSize(LogWeights);

    /// <summary>The PSIS Pareto-k̂ of the weights (<see cref="ImportanceWeights.ParetoK"/>); above 0.7 estimates are unreliable.</summary>
    public double ParetoK => ImportanceWeights.ParetoK(LogWeights);
}
