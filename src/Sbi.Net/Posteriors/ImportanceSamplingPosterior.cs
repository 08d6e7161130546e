using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>ImportanceSamplingPosterior</c> (sbi/inference/posteriors/importance_posterior.py): a potential sampled
/// through a proposal (the prior in <see cref="PosteriorBuilder"/>) by importance weights log w = potential − log
/// proposal. <see cref="Sample"/> draws by sampling-importance-resampling (sbi's <c>sampling_importance_resampling</c>,
/// sbi/samplers/importance/sir.py: each sample is one of <see cref="ImportanceSamplingPosteriorParameters.OversamplingFactor"/>
/// candidates chosen with probability proportional to its weight, so the samples approach the normalised potential
/// as the factor grows); <see cref="ImportanceSample"/> returns the proposal samples with their weights.
/// <see cref="LogProb"/> is the potential minus the log of the normalisation constant estimated by importance sampling
/// (<see cref="EstimateNormalizationConstant"/>). Where the weights' Pareto-k̂ exceeds 0.7 a warning says the estimates
/// are unreliable (PSIS, <see cref="ImportanceWeights.ParetoK"/>).
/// </summary>
public sealed class ImportanceSamplingPosterior : PotentialPosterior
{
    private double? _logNormalizationConstant;

    /// <summary>The posterior over <paramref name="potential"/> with samples from <paramref name="proposal"/>. Warnings and information lines go to <paramref name="logger"/> (standard error when null; NullLogger.Instance silences them).</summary>
    public ImportanceSamplingPosterior(BasePotential potential, IDistribution proposal, IBijector? thetaTransform = null,
                                       ImportanceSamplingPosteriorParameters? parameters = null, ILogger? logger = null)
        : base(potential, proposal, thetaTransform, logger)
    {
        Parameters = parameters ?? new ImportanceSamplingPosteriorParameters();
    }

    /// <summary>The settings (sbi's constructor arguments).</summary>
    public ImportanceSamplingPosteriorParameters Parameters { get; }

    /// <summary>
    /// With method "sir", <paramref name="n"/> samples (n, D) by <see cref="SirSample"/>. Method "importance" returns
    /// weighted samples, which this signature cannot carry: it throws, naming <see cref="ImportanceSample"/>.
    /// </summary>
    public override Tensor Sample(long n, Tensor? x = null)
    {
        if (Parameters.Method == "importance")
            throw new InvalidOperationException("This posterior's Method is 'importance', whose samples come with weights: call ImportanceSample " +
                                                "(or build it with Method 'sir' to get unweighted samples from Sample).");
        return SirSample(n, x);
    }

    /// <summary>
    /// sbi's <c>_importance_sample</c>: <paramref name="n"/> proposal samples with their log importance weights at x
    /// (or the default x); warns when the weights' Pareto-k̂ exceeds <see cref="ImportanceWeights.ParetoKThreshold"/>.
    /// </summary>
    public WeightedSamples ImportanceSample(long n, Tensor? x = null)
    {
        Guard.Positive(n, nameof(n));
        return AtX(x, () =>
        {
            using var scope = NewDisposeScope();
            var (samples, logWeights) = Weighted(n);
            WarnIfHeavyTailed(logWeights, "Importance sampling");
            return new WeightedSamples(samples.MoveToOuterDisposeScope(), logWeights.MoveToOuterDisposeScope());
        });
    }

    /// <summary>
    /// sbi's <c>_sir_sample</c>: exactly <paramref name="n"/> samples (n, D) at x (or the default x), each chosen from
    /// <paramref name="oversamplingFactor"/> proposal candidates (default: <see cref="Parameters"/>) with probability
    /// proportional to its weight, in batches of at most <paramref name="maxSamplingBatchSize"/> samples. Warns when
    /// the first batch's weights have a Pareto-k̂ above 0.7.
    /// </summary>
    public Tensor SirSample(long n, Tensor? x = null, int? oversamplingFactor = null, int? maxSamplingBatchSize = null)
    {
        Guard.Positive(n, nameof(n));
        int k = oversamplingFactor ?? Parameters.OversamplingFactor;
        int batchCap = maxSamplingBatchSize ?? Parameters.MaxSamplingBatchSize;
        Guard.Positive(k, nameof(oversamplingFactor));
        Guard.Positive(batchCap, nameof(maxSamplingBatchSize));
        return AtX(x, () =>
        {
            using var scope = NewDisposeScope();
            var selected = new List<Tensor>();
            long remaining = n;
            bool first = true;
            while (remaining > 0)
            {
                using var step = NewDisposeScope();
                long batch = Math.Min(batchCap, remaining);
                var (thetas, logWeights) = Weighted(batch * k);
                if (first) WarnIfHeavyTailed(logWeights, "Sampling-importance-resampling");
                first = false;
                // sbi's rule: the first candidate whose cumulative normalised weight reaches a uniform draw. A row whose
                // weights are all zero (softmax NaN), or whose cumulative sum rounds below the draw, selects none.
                var cumulative = logWeights.reshape(batch, k).softmax(-1).cumsum(-1);
                var u = rand(batch, 1, device: cumulative.device);
                var mask = cumulative.ge(u).cumsum(-1).eq(Scalars.Of(1L));
                var chosen = thetas.reshape(batch, k, -1).index(mask);
                if (chosen.shape[0] == 0)
                    throw new InvalidOperationException($"Sampling-importance-resampling selected none of {batch} rows: every importance weight " +
                                                        "is zero (the potential is −∞ wherever the proposal draws).");
                selected.Add(chosen.MoveToOuterDisposeScope());
                remaining -= chosen.shape[0];
            }
            return cat(selected, 0).MoveToOuterDisposeScope();
        });
    }

    /// <summary>
    /// The potential's normalisation constant Z = ∫ exp(potential) dθ at x (or the default x), estimated by importance
    /// sampling as the mean of the weights of <paramref name="numSamples"/> proposal samples (standard error
    /// √(Var_proposal(w) / numSamples)). Cached for the default x unless <paramref name="forceUpdate"/>; for
    /// another x computed afresh, as in sbi.
    /// </summary>
    public double EstimateNormalizationConstant(Tensor? x = null, int numSamples = 10_000, bool forceUpdate = false)
        => Math.Exp(EstimateLogNormalizationConstant(x, numSamples, forceUpdate));

    /// <summary>log Z (<see cref="EstimateNormalizationConstant"/>), computed in float64 without overflow.</summary>
    public double EstimateLogNormalizationConstant(Tensor? x = null, int numSamples = 10_000, bool forceUpdate = false)
    {
        Guard.Positive(numSamples, nameof(numSamples));
        bool atDefault = x is null || (DefaultX is { } d && SameX(d, x));
        if (atDefault && !forceUpdate && _logNormalizationConstant is { } cached) return cached;
        double logZ = AtX(x, () =>
        {
            using var scope = NewDisposeScope();
            var (_, logWeights) = Weighted(numSamples);
            WarnIfHeavyTailed(logWeights, "The normalisation-constant estimate");
            return ImportanceWeights.LogMeanExp(logWeights);
        });
        if (atDefault) _logNormalizationConstant = logZ;
        return logZ;
    }

    /// <summary>
    /// log p(θ | x) estimated as potential(θ) − log Z for rows θ (n, D) at x (or the default x), Z from
    /// <see cref="EstimateNormalizationConstant"/> with its defaults; returns (n).
    /// </summary>
    public override Tensor LogProb(Tensor theta, Tensor? x = null)
    {
        var t = CheckTheta(theta);
        double logZ = EstimateLogNormalizationConstant(x);
        return AtX(x, () =>
        {
            using var scope = NewDisposeScope();
            using TorchSharp.Scalar shift = logZ;
            return Potential.Evaluate(t, trackGradients: false).sub(shift).MoveToOuterDisposeScope();
        });
    }

    /// <summary>True: <see cref="LogProb"/> divides the potential by its normalisation-constant estimate.</summary>
    public override bool IsNormalized => true;

    /// <inheritdoc/>
    protected override void OnDefaultXChanged() => _logNormalizationConstant = null;

    /// <summary>Proposal samples and their log weights at the potential's current x.</summary>
    private (Tensor Samples, Tensor LogWeights) Weighted(long n)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var samples = Proposal.Sample(n);
        var logWeights = LogRatio(samples);
        return (samples.MoveToOuterDisposeScope(), logWeights.MoveToOuterDisposeScope());
    }

    private void WarnIfHeavyTailed(Tensor logWeights, string context)
    {
        double k = ImportanceWeights.ParetoK(logWeights);
        if (k > ImportanceWeights.ParetoKThreshold)
            Logger.LogWarning(LogEvents.Sampling, $"{context}: the importance weights' Pareto-k̂ is {k:F2} (> {ImportanceWeights.ParetoKThreshold}), so the estimates are " +
                        $"unreliable (effective sample size {ImportanceWeights.EffectiveSampleSize(logWeights):F0} of {logWeights.shape[0]}). " +
                        "The proposal is too narrow for the potential; consider another proposal or sampleWith: \"rejection\".");
    }

    private bool SameX(Tensor defaultX, Tensor x)
    {
        using var scope = NewDisposeScope();
        var t = x.to(defaultX.dtype, defaultX.device);
        if (t.dim() == defaultX.dim() - 1) t = t.unsqueeze(0);
        return t.shape.SequenceEqual(defaultX.shape) && t.eq(defaultX).all().item<bool>();
    }
}
