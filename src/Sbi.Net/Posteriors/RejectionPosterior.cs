using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>RejectionPosterior</c> (sbi/inference/posteriors/rejection_posterior.py) with sbi's
/// <c>rejection_sample</c> (sbi/samplers/rejection/rejection.py): samples the potential exactly by rejection from a
/// proposal (the prior in <see cref="PosteriorBuilder"/>). The envelope is log M = max_θ [potential(θ) −
/// log proposal(θ)] + log m, the maximum found by gradient ascent (<see cref="MapOptimizer"/>, Adam with learning
/// rate 0.01 in <see cref="PotentialPosterior.ThetaTransform"/>'s space) from the best tenth of
/// <see cref="RejectionPosteriorParameters.NumSamplesToFindMax"/> proposal samples; a candidate θ is accepted when
/// exp(potential(θ) − log proposal(θ) − log M) exceeds a uniform draw. The samples follow the normalised potential
/// as long as the envelope covers the ratio everywhere, which the margin m (1.2) is for.
/// <see cref="LogProb"/> is the potential itself, unnormalised, as in sbi.
/// </summary>
public sealed class RejectionPosterior : PotentialPosterior
{
    /// <summary>The posterior over <paramref name="potential"/> with candidates from <paramref name="proposal"/>. Warnings and information lines go to <paramref name="logger"/> (standard error when null; NullLogger.Instance silences them).</summary>
    public RejectionPosterior(BasePotential potential, IDistribution proposal, IBijector? thetaTransform = null,
                              RejectionPosteriorParameters? parameters = null, ILogger? logger = null)
        : base(potential, proposal, thetaTransform, logger)
    {
        Parameters = parameters ?? new RejectionPosteriorParameters();
    }

    /// <summary>The settings (sbi's constructor arguments); <see cref="SampleWithAcceptance"/> may override them per call.</summary>
    public RejectionPosteriorParameters Parameters { get; }

    /// <summary>Draws exactly <paramref name="n"/> samples (n, D) at x (or the default x) with the constructor's settings.</summary>
    public override Tensor Sample(long n, Tensor? x = null) => SampleWithAcceptance(n, x).Samples;

    /// <summary>
    /// Draws <paramref name="n"/> samples at x (or the default x) and reports the acceptance rate (accepted over
    /// proposed) and the log envelope log M used. <paramref name="parameters"/> overrides the constructor's settings for
    /// this call. With <paramref name="maxSamplingTime"/> the accept/reject loop (not the envelope search) stops with a
    /// <see cref="TimeoutException"/>, or returns the samples collected so far with
    /// <paramref name="returnPartialOnTimeout"/>; below 1 % acceptance a warning is logged once.
    /// </summary>
    public (Tensor Samples, double Acceptance, double LogEnvelope) SampleWithAcceptance(long n, Tensor? x = null,
        RejectionPosteriorParameters? parameters = null, TimeSpan? maxSamplingTime = null, bool returnPartialOnTimeout = false)
    {
        Guard.Positive(n, nameof(n));
        var p = parameters ?? Parameters;
        if (p.M < 1.0) Logger.LogWarning(LogEvents.Sampling, $"RejectionPosteriorParameters.M = {p.M} < 1 makes the samples systematically wrong (the envelope lies below the target).");
        return AtX(x, () =>
        {
            using var scope = NewDisposeScope();
            double logEnvelope = MaxLogRatio(p) + Math.Log(p.M);
            bool exceeded = false;
            Tensor Accept(Tensor candidates)
            {
                using Scalar shift = logEnvelope;
                var ratio = LogRatio(candidates).sub(shift).exp();
                if (!exceeded && ratio.gt(Scalars.Of(1.0)).any().item<bool>())
                {
                    exceeded = true;
                    Logger.LogWarning(LogEvents.Sampling, "Rejection sampling: potential − log proposal exceeded the envelope found by gradient ascent, so the samples " +
                                "are slightly off in that region. Increase M, NumSamplesToFindMax or NumIterToFindMax.");
                }
                return ratio.gt(rand_like(ratio));
            }
            var r = RejectionSampler.Sample(n, b => Proposal.Sample(b), Accept, p.MaxSamplingBatchSize, maxSamplingTime,
                                            returnPartialOnTimeout, Logger, "Rejection sampling");
            return (r.Samples.MoveToOuterDisposeScope(), r.Acceptance, logEnvelope);
        });
    }

    /// <summary>False: <see cref="LogProb"/> is the potential, unnormalised (NPE-B refuses this posterior as a proposal).</summary>
    public override bool IsNormalized => false;

    /// <summary>The unnormalised log-posterior (the potential) of rows θ (n, D) at x (or the default x), as sbi's <c>log_prob</c>; returns (n).</summary>
    public override Tensor LogProb(Tensor theta, Tensor? x = null)
    {
        var t = CheckTheta(theta);
        return AtX(x, () => Potential.Evaluate(t, trackGradients: false));
    }

    /// <summary>
    /// max_θ potential(θ) − log proposal(θ) at the potential's current x, as sbi's <c>rejection_sample</c> finds it:
    /// gradient ascent from the best max(1, ⌊NumSamplesToFindMax / 10⌋) proposal samples (the best sample when
    /// NumIterToFindMax is 0).
    /// </summary>
    private double MaxLogRatio(RejectionPosteriorParameters p)
    {
        using var scope = NewDisposeScope();
        var inits = Proposal.Sample(p.NumSamplesToFindMax);
        Tensor best;
        var ratio = new RatioPotential(this);
        if (p.NumIterToFindMax == 0)
        {
            var values = ratio.Evaluate(inits, trackGradients: false);
            best = inits[values.argmax()].unsqueeze(0);
        }
        else
        {
            best = MapOptimizer.Run(this, ratio, ThetaTransform, p.NumIterToFindMax, Math.Max(1, p.NumSamplesToFindMax / 10), 0.01,
                                    p.NumSamplesToFindMax, 10, inits);
        }
        double max = ratio.Evaluate(best, trackGradients: false).to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(max))
            throw new InvalidOperationException($"Rejection sampling found no finite value of potential − log proposal among {p.NumSamplesToFindMax} " +
                                                "proposal samples: the potential has no mass where the proposal draws.");
        return max;
    }

    /// <summary>potential − log proposal as a potential, the function <see cref="MapOptimizer"/> climbs for the envelope.</summary>
    private sealed class RatioPotential(RejectionPosterior owner) : BasePotential(owner.Proposal, null)
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true) => owner.LogRatio(theta, trackGradients);
    }
}
