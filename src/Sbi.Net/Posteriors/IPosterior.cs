using Sbi.Distributions;
using Sbi.Potentials;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>NeuralPosterior</c> interface (sbi/inference/posteriors/base_posterior.py): a posterior over a
/// <see cref="BasePotential"/>, sampled and evaluated at a default x or a given one. <see cref="DirectPosterior"/>
/// implements it; so do the rejection, importance, MCMC and VI posteriors. Any implementation can be the proposal of
/// the next NPE round (it is an <see cref="IDensity"/> at its default x).
/// </summary>
public interface IPosterior : IDensity
{
    /// <summary>The prior.</summary>
    IDistribution Prior { get; }

    /// <summary>The potential θ ↦ log p̃(θ | x) at the default x.</summary>
    BasePotential Potential { get; }

    /// <summary>The map from the prior's support to ℝ^D that MAP (and MCMC, VI) work in.</summary>
    IBijector ThetaTransform { get; }

    /// <summary>The default observation (1, *x_shape), or null.</summary>
    Tensor? DefaultX { get; }

    /// <summary>Sets the default observation (and the potential's); clears what was cached for the previous one.</summary>
    IPosterior SetDefaultX(Tensor x);

    /// <summary>Draws <paramref name="n"/> samples (n, D) at x (or the default x).</summary>
    Tensor Sample(long n, Tensor? x = null);

    /// <summary>sbi's <c>sample_batched</c>: <paramref name="n"/> samples for each of the B observations xs (B, *x_shape); returns (n, B, D).</summary>
    Tensor SampleBatched(long n, Tensor xs);

    /// <summary>The posterior log-density of rows θ (n, D) at x (or the default x); returns (n).</summary>
    Tensor LogProb(Tensor theta, Tensor? x = null);

    /// <summary>
    /// Whether <see cref="LogProb(Tensor, Tensor?)"/> is a normalised log-density (integrates to 1 over θ, up to an
    /// estimate), which is what NPE-B needs from a round's proposal: its importance weights prior(θ)/proposal(θ) mix
    /// the densities of all rounds' proposals, so a density off by an unknown constant weighs its round wrongly.
    /// True by default, and for <see cref="DirectPosterior"/> (leakage-corrected) and
    /// <see cref="ImportanceSamplingPosterior"/> (divided by its normalisation-constant estimate); false for
    /// <see cref="RejectionPosterior"/> and <see cref="McmcPosterior"/>, whose LogProb is the potential, as in sbi.
    /// A posterior of your own whose LogProb is unnormalised implements this as false, and NPE-B then refuses it as a
    /// proposal with an error that says why.
    /// </summary>
    bool IsNormalized => true;

    /// <summary>sbi's <c>map</c>: the maximum a posteriori estimate at the default x by gradient ascent on the potential in the transformed space.</summary>
    Tensor Map(int numIter = 1000, int numToOptimize = 100, double learningRate = 0.01, int numInitSamples = 1000,
               int saveBestEvery = 10, bool forceUpdate = false, Tensor? inits = null);
}
