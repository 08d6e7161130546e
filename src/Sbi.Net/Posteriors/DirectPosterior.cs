using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>DirectPosterior</c>: samples the trained estimator directly, rejecting samples outside the prior
/// support, and evaluates its log-density renormalised over the support (leakage correction). Usable as the
/// proposal of the next NPE-B round (it is an <see cref="IDensity"/> at its default x).
/// Deliberate deviation from sbi: <see cref="SetDefaultX"/> also clears the cached leakage factor (sbi keeps the
/// factor of the previous default x, spec §6.4).
/// </summary>
public sealed class DirectPosterior : IDensity
{
    private readonly SbiLog _log;
    private Tensor? _defaultX;
    private Tensor? _cachedMap;
    private double? _leakageCache;

    /// <summary>Wraps a trained estimator (used as is: pass a copy if training continues) and the prior.</summary>
    public DirectPosterior(ConditionalDensityEstimator posteriorEstimator, IDistribution prior, int maxSamplingBatchSize = 10_000,
                           string? device = null, bool enableTransform = true, bool checkFiniteX = true, SbiLog? log = null)
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
        _log = log ?? SbiLog.Default;
        PosteriorEstimator.eval();
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

    /// <summary>Sets the default observation (processed to float32 with a batch dimension of 1); clears the MAP and leakage caches.</summary>
    public DirectPosterior SetDefaultX(Tensor x)
    {
        var processed = ProcessX(x, nameof(x)).DetachFromDisposeScope();
        _defaultX?.Dispose();
        _defaultX = processed;
        _cachedMap?.Dispose();
        _cachedMap = null;
        _leakageCache = null;
        return this;
    }

    /// <summary>
    /// Draws <paramref name="n"/> samples (n, D) at x (or the default x). With <paramref name="rejectOutsidePrior"/>
    /// samples outside the prior support are rejected (sbi's rejection loop); otherwise drawn directly with a warning
    /// when more than 5% lie outside.
    /// </summary>
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
        if (!rejectOutsidePrior)
        {
            var s = PosteriorEstimator.Sample(n, xo).squeeze(1);
            double inside = InSupport(s).to(ScalarType.Float32).mean().item<float>();
            if (inside < 0.95)
                _log.Warning($"{(1 - inside):P1} of the samples lie outside the prior support (rejectOutsidePrior is false).");
            return (s.MoveToOuterDisposeScope(), inside);
        }
        var r = RejectionSampler.Sample(n, b => PosteriorEstimator.Sample(b, xo).squeeze(1), InSupport,
            maxSamplingBatchSize, maxSamplingTime, returnPartialOnTimeout, _log, warningContext);
        return (r.Samples.MoveToOuterDisposeScope(), r.Acceptance);
    }

    /// <summary>
    /// Log-density of θ (n, D) or (D) at x (or the default x): the estimator's density, −inf outside the prior
    /// support, minus log(acceptance) when <paramref name="normPosterior"/> (leakage correction). Returns (n).
    /// </summary>
    public Tensor LogProb(Tensor theta, Tensor? x = null, bool normPosterior = true, bool trackGradients = false)
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
            double acc = LeakageCorrection(xo);
            lp = lp - (float)Math.Log(acc);
        }
        return lp.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="IDensity"/>: the normalised log-density at the default x (what NPE-B's loss uses for proposals).</summary>
    Tensor IDensity.LogProb(Tensor theta) => LogProb(theta);

    /// <summary>
    /// The fraction of the estimator's mass inside the prior support at x, estimated by rejection sampling until
    /// <paramref name="numRejectionSamples"/> samples are accepted. Cached for the default x (by value) unless
    /// <paramref name="forceUpdate"/>; recomputed on every call for other x, as in sbi.
    /// </summary>
    public double LeakageCorrection(Tensor x, int numRejectionSamples = 10_000, bool forceUpdate = false)
    {
        using var scope = NewDisposeScope();
        var xo = ProcessX(x, nameof(x));
        bool isDefault = _defaultX is not null && _defaultX.shape.SequenceEqual(xo.shape) && _defaultX.eq(xo).all().item<bool>();
        if (isDefault && !forceUpdate && _leakageCache is { } cached) return cached;
        var r = SampleWithAcceptance(numRejectionSamples, xo, 10_000, warningContext: "Leakage correction (estimating the posterior mass inside the prior)");
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
        var map = MapOptimizer.Run(this, PotentialAtDefault, numIter, numToOptimize, learningRate, numInitSamples, saveBestEvery, inits);
        _cachedMap?.Dispose();
        _cachedMap = map.clone().DetachFromDisposeScope();
        return map;
    }

    /// <summary>Unnormalised potential at the default x: estimator log-density, −inf outside the prior support.</summary>
    internal Tensor PotentialAtDefault(Tensor theta)
    {
        var lp = PosteriorEstimator.LogProb(theta.unsqueeze(1), _defaultX!).squeeze(1);
        return where(InSupport(theta), lp, tensor(float.NegativeInfinity, device: lp.device));
    }

    /// <summary>The prior's support check, run where the prior lives (it may stay on the CPU for a GPU posterior).</summary>
    private Tensor InSupport(Tensor theta)
    {
        var d = Prior.Device;
        bool same = d.type == theta.device.type && d.index == theta.device.index;
        return same ? Prior.WithinSupport(theta) : Prior.WithinSupport(theta.to(d)).to(theta.device);
    }

    private Tensor ResolveX(Tensor? x)
    {
        if (x is not null) return ProcessX(x, nameof(x));
        return _defaultX ?? throw new InvalidOperationException("No x given and no default x set: pass x or call SetDefaultX.");
    }

    private Tensor ProcessX(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        var shape = PosteriorEstimator.ConditionShape;
        var t = x.to(ScalarType.Float32, Device);
        if (t.dim() == shape.Length) t = t.unsqueeze(0);
        if (t.dim() != shape.Length + 1 || !t.shape[1..].SequenceEqual(shape))
            throw new ArgumentException($"{name} must have shape ({string.Join(", ", shape)}) or (1, {string.Join(", ", shape)}); got {Guard.Shape(x)}.", name);
        if (t.shape[0] != 1)
            throw new ArgumentException($"{name} must hold one observation (batch 1); got batch {t.shape[0]}. Sample each observation separately.", name);
        if (CheckFiniteX) Guard.Finite(t, name);
        return t.clone();
    }
}
