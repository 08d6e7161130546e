using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Potentials;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>DirectPosterior</c> (sbi/inference/posteriors/direct_posterior.py): samples the trained estimator
/// directly, rejecting samples outside the prior support, and evaluates its log-density renormalised over the support
/// (leakage correction); its potential is the estimator's (<see cref="PosteriorBasedPotential"/>). Usable as the proposal
/// of the next NPE round (it is an <see cref="IDensity"/> at its default x).
/// Deliberate deviation from sbi: <see cref="SetDefaultX"/> also clears the cached leakage factor (sbi keeps the
/// factor of the previous default x until <c>force_update</c>).
/// </summary>
public sealed class DirectPosterior : IPosterior
{
    private readonly ILogger _logger;
    private Tensor? _defaultX;
    private Tensor? _cachedMap;
    private double? _leakageCache;
    private IBijector? _thetaTransform;

    /// <summary>Wraps a trained estimator (used as is: pass a copy if training continues) and the prior. Warnings and information lines go to <paramref name="logger"/> (standard error when null; NullLogger.Instance silences them).</summary>
    public DirectPosterior(ConditionalDensityEstimator posteriorEstimator, IDistribution prior, int maxSamplingBatchSize = 10_000,
                           string? device = null, bool enableTransform = true, bool checkFiniteX = true, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(posteriorEstimator);
        ArgumentNullException.ThrowIfNull(prior);
        Guard.Positive(maxSamplingBatchSize, nameof(maxSamplingBatchSize));
        if (prior.Dim != posteriorEstimator.InputDim)
            throw new ArgumentException($"prior dimension must equal the estimator's θ dimension {posteriorEstimator.InputDim}; got {prior.Dim}.", nameof(prior));
        PosteriorEstimator = posteriorEstimator;
        Prior = prior;
        MaxSamplingBatchSize = maxSamplingBatchSize;
        Device = device is null ? posteriorEstimator.Device : Devices.Resolve(device);
        if (PosteriorEstimator.Device != Device) PosteriorEstimator.to(Device);
        EnableTransform = enableTransform;
        CheckFiniteX = checkFiniteX;
        _logger = logger.OrDefault();
        PosteriorEstimator.eval();
        Potential = new PosteriorBasedPotential(PosteriorEstimator, prior);
    }

    /// <summary>The trained conditional density estimator.</summary>
    public ConditionalDensityEstimator PosteriorEstimator { get; }
    /// <summary>The prior.</summary>
    public IDistribution Prior { get; }
    /// <summary>Constructor default of the sampling batch size (sbi: overridden by <see cref="Sample"/>'s own default).</summary>
    public int MaxSamplingBatchSize { get; }
    /// <summary>Device of the estimator.</summary>
    public Device Device { get; }
    /// <summary>Whether MAP optimisation runs in the prior's unconstrained space.</summary>
    public bool EnableTransform { get; }
    /// <summary>Whether x must be finite.</summary>
    public bool CheckFiniteX { get; }
    /// <summary>The default observation (1, *x_shape), or null.</summary>
    public Tensor? DefaultX => _defaultX;
    /// <summary>The estimator's potential (at the default x once set).</summary>
    public PosteriorBasedPotential Potential { get; }
    BasePotential IPosterior.Potential => Potential;
    /// <summary>The prior's θ transform (<see cref="IDistribution.ThetaTransform"/>), or the identity without <see cref="EnableTransform"/>.</summary>
    public IBijector ThetaTransform => _thetaTransform ??= PotentialFactory.ThetaTransformOf(Prior, EnableTransform);

    /// <summary>Sets the default observation (processed to float32 with a batch dimension of 1); clears the MAP and leakage caches.</summary>
    public DirectPosterior SetDefaultX(Tensor x)
    {
        var processed = ProcessX(x, nameof(x)).DetachFromDisposeScope();
        _defaultX?.Dispose();
        _defaultX = processed;
        Potential.SetX(processed);
        _cachedMap?.Dispose();
        _cachedMap = null;
        _leakageCache = null;
        return this;
    }

    IPosterior IPosterior.SetDefaultX(Tensor x) => SetDefaultX(x);

    Tensor IPosterior.Sample(long n, Tensor? x) => Sample(n, x);

    Tensor IPosterior.LogProb(Tensor theta, Tensor? x) => LogProb(theta, x);

    /// <summary>
    /// Draws <paramref name="n"/> samples (n, D) at x (or the default x). With <paramref name="rejectOutsidePrior"/>
    /// samples outside the prior support are rejected (sbi's rejection loop); otherwise drawn directly with a warning
    /// when more than 5% lie outside. <paramref name="maxSamplingTime"/> bounds the rejection loop: past it a
    /// <see cref="TimeoutException"/> states the acceptance (the estimator's mass inside the prior) and what to do.
    /// </summary>
    /// <exception cref="InvalidOperationException">a weight of the estimator is not finite.</exception>
    public Tensor Sample(long n, Tensor? x = null, int maxSamplingBatchSize = 10_000, bool rejectOutsidePrior = true,
                         TimeSpan? maxSamplingTime = null, bool returnPartialOnTimeout = false)
        => SampleWithAcceptance(n, x, maxSamplingBatchSize, rejectOutsidePrior, maxSamplingTime, returnPartialOnTimeout).Samples;

    /// <summary><see cref="Sample"/> that also returns the acceptance rate.</summary>
    public (Tensor Samples, double Acceptance) SampleWithAcceptance(long n, Tensor? x = null, int maxSamplingBatchSize = 10_000,
        bool rejectOutsidePrior = true, TimeSpan? maxSamplingTime = null, bool returnPartialOnTimeout = false, string warningContext = "Posterior sampling")
    {
        Guard.Positive(n, nameof(n));
        using var outer = NewDisposeScope();
        var xo = ResolveX(x);
        using var _ = no_grad();
        FiniteWeights.RequireLive(PosteriorEstimator, warningContext);
        if (!rejectOutsidePrior)
        {
            var s = PosteriorEstimator.Sample(n, xo).squeeze(1);
            double inside = InSupport(s).to(ScalarType.Float32).mean().item<float>();
            if (inside < 0.95)
                _logger.LogWarning(LogEvents.Sampling, $"{(1 - inside):P1} of the samples lie outside the prior support (rejectOutsidePrior is false).");
            return (s.MoveToOuterDisposeScope(), inside);
        }
        var r = RejectionSampler.Sample(n, b => PosteriorEstimator.Sample(b, xo).squeeze(1), InSupport,
            maxSamplingBatchSize, maxSamplingTime, returnPartialOnTimeout, _logger, warningContext);
        return (r.Samples.MoveToOuterDisposeScope(), r.Acceptance);
    }

    /// <summary>
    /// Log-density of θ (n, D) or (D) at x (or the default x): the estimator's density, −inf outside the prior
    /// support, minus log(acceptance) when <paramref name="normPosterior"/> (leakage correction). Returns (n).
    /// <paramref name="maxSamplingTime"/> bounds the leakage correction's rejection loop (see <see cref="LeakageCorrection"/>).
    /// </summary>
    public Tensor LogProb(Tensor theta, Tensor? x = null, bool normPosterior = true, bool trackGradients = false, TimeSpan? maxSamplingTime = null)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.dim() == 1) theta = theta.unsqueeze(0);
        if (theta.dim() != 2 || theta.shape[1] != PosteriorEstimator.InputDim)
            throw new ArgumentException($"theta must have shape (n, {PosteriorEstimator.InputDim}); got {Guard.Shape(theta)}.", nameof(theta));
        using var scope = NewDisposeScope();
        var xo = ResolveX(x);
        using var grad = trackGradients ? enable_grad() : no_grad();
        var th = theta.to(ScalarType.Float32, Device);
        var lp = PosteriorEstimator.LogProb(th.unsqueeze(1), xo).squeeze(1);
        var inside = InSupport(th);
        lp = where(inside, lp, tensor(float.NegativeInfinity, device: lp.device));
        if (normPosterior)
        {
            double acc = LeakageCorrection(xo, maxSamplingTime: maxSamplingTime);
            using Scalar logAcc = (float)Math.Log(acc);
            lp = lp.sub(logAcc);
        }
        return lp.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="IDensity"/>: the normalised log-density at the default x (what NPE-B's loss uses for proposals).</summary>
    Tensor IDensity.LogProb(Tensor theta) => LogProb(theta);

    /// <summary>
    /// sbi's <c>sample_batched</c>: <paramref name="n"/> samples for each of the B observations <paramref name="xs"/>
    /// (B, *x_shape) in one vectorised rejection loop (all x share each proposal batch, capped as in sbi at 100,000
    /// rows per batch); returns (n, B, D). Without <paramref name="rejectOutsidePrior"/> the estimator is sampled directly.
    /// </summary>
    public Tensor SampleBatched(long n, Tensor xs, int maxSamplingBatchSize = 10_000, bool rejectOutsidePrior = true, TimeSpan? maxSamplingTime = null)
    {
        Guard.Positive(n, nameof(n));
        Guard.Positive(maxSamplingBatchSize, nameof(maxSamplingBatchSize));
        using var outer = NewDisposeScope();
        var x = ProcessXs(xs, nameof(xs));
        using var _ = no_grad();
        FiniteWeights.RequireLive(PosteriorEstimator, "Batched posterior sampling");
        if (!rejectOutsidePrior) return PosteriorEstimator.Sample(n, x).MoveToOuterDisposeScope();
        long cap = Math.Max(1, Math.Min(maxSamplingBatchSize, 100_000 / x.shape[0]));
        var samples = RejectionSampler.SampleBatched(n, x.shape[0], b => PosteriorEstimator.Sample(b, x),
            t => InSupport(t.reshape(-1, t.shape[2])).reshape(t.shape[0], t.shape[1]), (int)cap, maxSamplingTime, _logger, "Batched posterior sampling");
        return samples.MoveToOuterDisposeScope();
    }

    Tensor IPosterior.SampleBatched(long n, Tensor xs) => SampleBatched(n, xs);

    /// <summary>
    /// The fraction of the estimator's mass inside the prior support at x, estimated by rejection sampling until
    /// <paramref name="numRejectionSamples"/> samples are accepted. Cached for the default x (by value) unless
    /// <paramref name="forceUpdate"/>; recomputed on every call for other x, as in sbi. Past <paramref name="maxSamplingTime"/>
    /// a <see cref="TimeoutException"/> states the acceptance measured so far.
    /// </summary>
    public double LeakageCorrection(Tensor x, int numRejectionSamples = 10_000, bool forceUpdate = false, TimeSpan? maxSamplingTime = null)
    {
        using var scope = NewDisposeScope();
        var xo = ProcessX(x, nameof(x));
        bool isDefault = _defaultX is not null && _defaultX.shape.SequenceEqual(xo.shape) && _defaultX.eq(xo).all().item<bool>();
        if (isDefault && !forceUpdate && _leakageCache is { } cached) return cached;
        var r = SampleWithAcceptance(numRejectionSamples, xo, 10_000, maxSamplingTime: maxSamplingTime,
                                     warningContext: "Leakage correction (estimating the posterior mass inside the prior)");
        if (isDefault) _leakageCache = r.Acceptance;
        return r.Acceptance;
    }

    /// <summary>
    /// The maximum a posteriori estimate at the default x by gradient ascent (sbi's <c>map</c>): the best
    /// <paramref name="numToOptimize"/> of <paramref name="numInitSamples"/> posterior samples are optimised with Adam
    /// in the prior's unconstrained space; the best point seen at every <paramref name="saveBestEvery"/> steps is kept
    /// (in constrained space: sbi's quirk of mixing spaces is not reproduced). Cached until <paramref name="forceUpdate"/>
    /// or a new default x.
    /// </summary>
    public Tensor Map(int numIter = 1000, int numToOptimize = 100, double learningRate = 0.01, int numInitSamples = 1000,
                      int saveBestEvery = 10, bool forceUpdate = false, Tensor? inits = null)
    {
        if (_defaultX is null) throw new InvalidOperationException("Map needs a default x: call SetDefaultX first.");
        if (_cachedMap is not null && !forceUpdate) return _cachedMap.clone();
        var map = MapOptimizer.Run(this, Potential, ThetaTransform, numIter, numToOptimize, learningRate, numInitSamples, saveBestEvery, inits?.to(Device));
        _cachedMap?.Dispose();
        _cachedMap = map.clone().DetachFromDisposeScope();
        return map;
    }

    /// <summary>The prior's support check, run where the prior lives.</summary>
    private Tensor InSupport(Tensor theta) => Support.Within(Prior, theta);

    private Tensor ResolveX(Tensor? x)
    {
        if (x is not null) return ProcessX(x, nameof(x));
        return _defaultX ?? throw new InvalidOperationException("No x given and no default x set: pass x or call SetDefaultX.");
    }

    private Tensor ProcessX(Tensor x, string name)
    {
        var t = ProcessXs(x, name);
        if (t.shape[0] != 1)
            throw new ArgumentException($"{name} must hold one observation (batch 1); got batch {t.shape[0]}. Draw for many observations with SampleBatched.", name);
        return t;
    }

    /// <summary>x as a batch (B, *x_shape), float32 on the estimator's device, checked finite.</summary>
    private Tensor ProcessXs(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        var shape = PosteriorEstimator.ConditionShape;
        var t = x.to(ScalarType.Float32, Device);
        if (t.dim() == shape.Length) t = t.unsqueeze(0);
        if (t.dim() != shape.Length + 1 || !t.shape[1..].SequenceEqual(shape) || t.shape[0] == 0)
            throw new ArgumentException($"{name} must have shape (B, {string.Join(", ", shape)}) with B ≥ 1, or ({string.Join(", ", shape)}); got {Guard.Shape(x)}.", name);
        if (CheckFiniteX) Guard.Finite(t, name);
        return t.clone();
    }
}
