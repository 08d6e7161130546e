using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Sbi.Estimators;
using Sbi.Samplers.Vi;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

public sealed partial class VIPosterior
{
    /// <summary>
    /// sbi's <c>train</c>: fits q(θ) to the potential at x (or the default x) by <see cref="ViMethod"/>, with sbi's
    /// arguments and defaults. The first training (and one with <paramref name="resetOptimizer"/> or
    /// <paramref name="retrainFromScratch"/>) first fits q to the prior for <paramref name="warmUpRounds"/> steps; then up to
    /// <paramref name="maxNumIters"/> steps of <paramref name="nParticles"/> particles, Adam at learning rate
    /// <paramref name="learningRate"/>·<paramref name="gamma"/>ⁱ, gradient norm clipped to <paramref name="clipValue"/>,
    /// stopping early by sbi's convergence check when <paramref name="checkForConvergence"/> (after
    /// <paramref name="minNumIters"/>). Training again continues from the current q (a new Adam, as sbi's <c>update</c>
    /// builds); at a new x the q's x standardisation is re-centred on it, so q starts where it was.
    /// With <paramref name="qualityControl"/>, <see cref="Evaluate"/> runs with <paramref name="qualityControlMetric"/>
    /// ("psis", "prop", "prop_prior") and warns on a poor fit; when q's samples or densities fail sbi's basic checks
    /// (non-finite, outside the support), q is retrained from scratch once at a tenth of the learning rate, as sbi does.
    /// <paramref name="settings"/> holds the method's own options (sticking the landing, K, DReG, α, eps).
    /// </summary>
    /// <exception cref="InvalidOperationException">no x is given and none is set.</exception>
    /// <exception cref="ArgumentException">a setting is out of range, x is not finite or has the wrong shape, or the metric is unknown.</exception>
    /// <exception cref="VITrainingException">a potential value or the loss was not finite; the best q so far is kept and usable.</exception>
    /// <exception cref="OperationCanceledException">cancelled; the best q so far is kept and usable.</exception>
    public VIPosterior Train(Tensor? x = null, int nParticles = 256, double learningRate = 1e-3, double gamma = 0.999, int maxNumIters = 2000,
                             int minNumIters = 10, double clipValue = 10.0, int warmUpRounds = 100, bool retrainFromScratch = false,
                             bool resetOptimizer = false, bool checkForConvergence = true, bool qualityControl = true,
                             string qualityControlMetric = "psis", DivergenceSettings? settings = null, IProgress<VIProgress>? progress = null,
                             CancellationToken cancellationToken = default)
        => TrainCore(x, nParticles, learningRate, gamma, maxNumIters, minNumIters, clipValue, warmUpRounds, retrainFromScratch, resetOptimizer,
                     checkForConvergence, qualityControl, qualityControlMetric, settings, progress, cancellationToken, retried: false);

    private VIPosterior TrainCore(Tensor? x, int nParticles, double learningRate, double gamma, int maxNumIters, int minNumIters, double clipValue,
                                  int warmUpRounds, bool retrainFromScratch, bool resetOptimizer, bool checkForConvergence, bool qualityControl,
                                  string qualityControlMetric, DivergenceSettings? settings, IProgress<VIProgress>? progress,
                                  CancellationToken cancellationToken, bool retried)
    {
        Guard.Positive(nParticles, nameof(nParticles));
        Guard.Positive(learningRate, nameof(learningRate));
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"gamma must be in (0, 1]; got {gamma}.");
        Guard.Positive(maxNumIters, nameof(maxNumIters));
        if (minNumIters < 0) throw new ArgumentOutOfRangeException(nameof(minNumIters), minNumIters, $"minNumIters must be ≥ 0; got {minNumIters}.");
        Guard.Positive(clipValue, nameof(clipValue));
        if (warmUpRounds < 0) throw new ArgumentOutOfRangeException(nameof(warmUpRounds), warmUpRounds, $"warmUpRounds must be ≥ 0; got {warmUpRounds}.");
        VIQualityControl.CheckMetric(qualityControlMetric, nameof(qualityControlMetric));
        var objective = DivergenceObjective.Create(_viMethod, settings);
        var given = x ?? DefaultX ?? throw new InvalidOperationException("Train needs an observation: pass x or call SetDefaultX first.");
        var xo = ProcessX(given, nameof(x)).DetachFromDisposeScope();

        if (Mode == VIMode.Amortized)
        {
            Logger.LogWarning(LogEvents.VariationalInference, "Switching from amortized to single-x mode: the amortised q is discarded.");
            DropQ();
        }
        bool alreadyTrained = _trainedOn is not null && SameX(xo, _trainedOn);
        if (_q is null || retrainFromScratch)
        {
            DropQ();
            _q = BuildSingleQ(xo);
            _warmUpDone = false;
        }
        else if (!alreadyTrained) VariationalFamilies.Recenter(_q.Q, xo);

        var clock = Stopwatch.StartNew();
        int warmUp = 0;
        try
        {
            AtX(xo, () =>
            {
                using var optimizer = new DivergenceOptimizer(_q, objective, Potential, Prior, learningRate, clipValue, gamma, nParticles);
                if (resetOptimizer || (!_warmUpDone && !alreadyTrained))
                {
                    optimizer.WarmUp(warmUpRounds, xo, progress, cancellationToken);
                    _warmUpDone = true;
                    warmUp = warmUpRounds;
                }
                try
                {
                    TrainingSummary = optimizer.Train(xo, maxNumIters, minNumIters, checkForConvergence, warmUp, progress, cancellationToken)
                                      with { Seconds = clock.Elapsed.TotalSeconds };
                }
                catch (OperationCanceledException)
                {
                    var (bestIt, bestLoss) = optimizer.Best;
                    TrainingSummary = new VITrainingSummary(objective.Name, -1, warmUp, false, true, bestIt, bestLoss, bestLoss, clock.Elapsed.TotalSeconds);
                    throw;
                }
                return 0;
            });
        }
        finally
        {
            // The best q is restored on every stop; it is the q of this x.
            if (_warmUpDone) MarkTrainedOn(xo);
        }

        if (qualityControl)
        {
            try { Evaluate(qualityControlMetric); }
            catch (VIQualityCheckException e) when (!retried)
            {
                Logger.LogWarning(LogEvents.VariationalInference, $"Quality control showed a low quality of the variational posterior ({e.Message}). Retraining it from scratch with a " +
                            $"learning rate of {learningRate * 0.1} (sbi's rule); train with qualityControl: false to skip quality control.");
                return TrainCore(xo, nParticles, learningRate * 0.1, gamma, maxNumIters, minNumIters, clipValue, warmUpRounds, true, true,
                                 checkForConvergence, qualityControl, qualityControlMetric, settings, progress, cancellationToken, retried: true);
            }
        }
        return this;
    }

    private void MarkTrainedOn(Tensor xo)
    {
        _trainedOn?.Dispose();
        _trainedOn = xo.clone().DetachFromDisposeScope();
        Mode = VIMode.SingleX;
    }

    /// <summary>A fresh single-observation q: the user's q at its initial state, or one of the family, z-scored with prior samples.</summary>
    private VariationalDistribution BuildSingleQ(Tensor xo)
    {
        using var scope = NewDisposeScope();
        if (_userQ is not null)
        {
            if (!_userQ.ConditionShape.SequenceEqual(xo.shape[1..]))
                throw new ArgumentException($"q is conditioned on x of shape ({string.Join(", ", _userQ.ConditionShape)}); x has shape ({string.Join(", ", xo.shape[1..])}).", "x");
            StateDictLoader.Load(_userQ, _userQInitial!, "q's initial state");
            VariationalFamilies.Recenter(_userQ, xo);
            return new VariationalDistribution(_userQ, ThetaTransform);
        }
        bool iaf = VariationalFamilies.UsesInverseAutoregressive(Parameters.Q, _viMethod, amortized: false);
        var q = VariationalFamilies.Build(Parameters.Q, Parameters.NumTransforms, Parameters.HiddenFeatures, iaf ? ZScoreMode.None : Parameters.ZScoreTheta,
                                          ZScoreMode.Independent, UnconstrainedPriorSamples(), xo);
        WarnOneDimensionalFlow(q);
        return new VariationalDistribution(q, ThetaTransform, iaf);
    }

    /// <summary>T(θ) for <see cref="ZScoreSamples"/> prior samples (sbi's <c>link_transform.inv(prior.sample((1000,)))</c>).</summary>
    private Tensor UnconstrainedPriorSamples()
    {
        using var _ = no_grad();
        return ThetaTransform.Forward(Prior.Sample(ZScoreSamples).to(ScalarType.Float32));
    }

    private void WarnOneDimensionalFlow(ConditionalDensityEstimator q)
    {
        if (Dim == 1 && q is not GaussianQ)
            Logger.LogWarning(LogEvents.VariationalInference, $"Using a '{q.Config.Estimator}' flow for a 1-D parameter space: autoregressive flows may be unstable for 1-D VI (sbi warns " +
                        "likewise). Consider q = \"gaussian\".");
    }

    private void DropQ()
    {
        if (_q is not null && !ReferenceEquals(_q.Q, _userQ)) _q.Q.Dispose();
        _q = null;
        _trainedOn?.Dispose();
        _trainedOn = null;
        Mode = VIMode.Untrained;
    }
}
