using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Potentials;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// What the posteriors that sample a <see cref="BasePotential"/> through a proposal share (sbi's
/// <c>NeuralPosterior</c>, sbi/inference/posteriors/base_posterior.py, for <see cref="RejectionPosterior"/>,
/// <see cref="ImportanceSamplingPosterior"/> and, later, MCMC and VI): the default x, evaluation at another x, MAP
/// started from proposal samples (sbi's <c>init_method="proposal"</c>) and its cache.
/// </summary>
public abstract class PotentialPosterior : IPosterior
{
    private Tensor? _defaultX;
    private Tensor? _cachedMap;

    /// <summary>
    /// A posterior over <paramref name="potential"/> sampled through <paramref name="proposal"/>; MAP climbs in
    /// <paramref name="thetaTransform"/>'s space (default: the proposal's <see cref="IDistribution.ThetaTransform"/>,
    /// what sbi's <c>build_posterior</c> passes for a prior proposal). Messages go to <paramref name="logger"/> (standard error when null).
    /// </summary>
    protected PotentialPosterior(BasePotential potential, IDistribution proposal, IBijector? thetaTransform, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(potential);
        ArgumentNullException.ThrowIfNull(proposal);
        if (potential.Prior is { } prior && prior.Dim != proposal.Dim)
            throw new ArgumentException($"proposal dimension must equal the potential's prior dimension {prior.Dim}; got {proposal.Dim}.", nameof(proposal));
        Potential = potential;
        Proposal = proposal;
        ThetaTransform = thetaTransform ?? proposal.ThetaTransform;
        Logger = logger.OrDefault();
        if (potential.XO is { } xo) _defaultX = xo.clone().DetachFromDisposeScope();
    }

    /// <summary>The potential θ ↦ log p̃(θ | x), set to the default x between calls.</summary>
    public BasePotential Potential { get; }

    /// <summary>The distribution candidates are drawn from (the prior in sbi's <c>build_posterior</c>).</summary>
    public IDistribution Proposal { get; }

    /// <summary>The potential's prior, or the proposal where the potential has none.</summary>
    public IDistribution Prior => Potential.Prior ?? Proposal;

    /// <inheritdoc/>
    public IBijector ThetaTransform { get; }

    /// <summary>Where warnings go.</summary>
    protected ILogger Logger { get; }

    /// <summary>Number of parameters D.</summary>
    public int Dim => Proposal.Dim;

    /// <inheritdoc/>
    public Tensor? DefaultX => _defaultX;

    /// <summary>Sets the default observation (checked by the potential); clears the MAP and whatever the subclass cached.</summary>
    public PotentialPosterior SetDefaultX(Tensor x)
    {
        Potential.SetX(x);
        _defaultX?.Dispose();
        _defaultX = Potential.XO!.clone().DetachFromDisposeScope();
        _cachedMap?.Dispose();
        _cachedMap = null;
        OnDefaultXChanged();
        return this;
    }

    IPosterior IPosterior.SetDefaultX(Tensor x) => SetDefaultX(x);

    /// <summary>Clears what a subclass cached for the previous default x.</summary>
    protected virtual void OnDefaultXChanged() { }

    /// <inheritdoc/>
    public abstract Tensor Sample(long n, Tensor? x = null);

    /// <inheritdoc/>
    public abstract Tensor LogProb(Tensor theta, Tensor? x = null);

    /// <inheritdoc cref="IPosterior.IsNormalized"/>
    public abstract bool IsNormalized { get; }

    /// <summary><see cref="IDensity"/>: <see cref="LogProb(Tensor, Tensor?)"/> at the default x.</summary>
    Tensor IDensity.LogProb(Tensor theta) => LogProb(theta);

    /// <summary>
    /// <paramref name="n"/> samples for each of the B observations xs (B, *x_shape), one observation after another
    /// (sbi raises NotImplementedError here and suggests this loop); returns (n, B, D).
    /// </summary>
    public Tensor SampleBatched(long n, Tensor xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        Guard.Positive(n, nameof(n));
        if (xs.dim() == 0 || xs.shape[0] == 0)
            throw new ArgumentException($"xs must have shape (B, *x_shape) with B ≥ 1; got {Guard.Shape(xs)}.", nameof(xs));
        using var scope = NewDisposeScope();
        var each = new List<Tensor>();
        for (long b = 0; b < xs.shape[0]; b++)
        {
            using var step = NewDisposeScope();
            each.Add(Sample(n, xs[b].unsqueeze(0)).MoveToOuterDisposeScope());
        }
        return stack(each, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// sbi's <c>map</c> at the default x: gradient ascent on the potential in <see cref="ThetaTransform"/>'s space
    /// (<see cref="MapOptimizer"/>) from the best of <paramref name="numInitSamples"/> proposal samples (or
    /// <paramref name="inits"/>). Cached until <paramref name="forceUpdate"/> or a new default x.
    /// </summary>
    public Tensor Map(int numIter = 1000, int numToOptimize = 100, double learningRate = 0.01, int numInitSamples = 1000,
                      int saveBestEvery = 10, bool forceUpdate = false, Tensor? inits = null)
    {
        if (_defaultX is null) throw new InvalidOperationException("Map needs a default x: call SetDefaultX first.");
        if (_cachedMap is not null && !forceUpdate) return _cachedMap.clone();
        Guard.Positive(numInitSamples, nameof(numInitSamples));
        using var scope = NewDisposeScope();
        var start = inits ?? MapStartPoints(numInitSamples);
        var map = MapOptimizer.Run(this, Potential, ThetaTransform, numIter, numToOptimize, learningRate, numInitSamples, saveBestEvery, start);
        _cachedMap?.Dispose();
        _cachedMap = map.clone().DetachFromDisposeScope();
        return map.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The points <see cref="Map"/> starts from when none are given: <paramref name="numInitSamples"/> proposal samples
    /// (sbi's <c>init_method="proposal"</c>); a VI posterior draws them from q, which sbi sets as its proposal for MAP.
    /// </summary>
    protected virtual Tensor MapStartPoints(int numInitSamples) => Proposal.Sample(numInitSamples);

    /// <summary>
    /// Runs <paramref name="body"/> with the potential at x (or the default x) and sets the potential back to the
    /// default x afterwards (sbi leaves it at the last x; here <see cref="Potential"/> stays at the default between calls).
    /// </summary>
    protected T AtX<T>(Tensor? x, Func<T> body)
    {
        if (x is null)
        {
            if (_defaultX is null) throw new InvalidOperationException("No x given and no default x set: pass x or call SetDefaultX.");
            Potential.SetX(_defaultX);
            return body();
        }
        Potential.SetX(x);
        try { return body(); }
        finally { if (_defaultX is not null) Potential.SetX(_defaultX); }
    }

    /// <summary>θ as rows (n, D), or an error naming the shape expected and given.</summary>
    protected Tensor CheckTheta(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        var t = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        if (t.dim() != 2 || t.shape[1] != Dim)
            throw new ArgumentException($"theta must have shape (n, {Dim}) or ({Dim}); got {Guard.Shape(theta)}.", nameof(theta));
        return t;
    }

    /// <summary>log p̃(θ) − log proposal(θ) for candidate rows: the log importance weight, and the log ratio rejection sampling bounds.</summary>
    protected Tensor LogRatio(Tensor theta, bool trackGradients = false)
    {
        using var scope = NewDisposeScope();
        using var grad = trackGradients ? enable_grad() : no_grad();
        var potential = Potential.Evaluate(theta, trackGradients);
        var proposal = Proposal.LogProb(theta).to(potential.dtype, potential.device);
        var ratio = potential - proposal;
        // −∞ − (−∞) is NaN: a point with neither target nor proposal mass has no weight.
        return where(ratio.isnan(), full_like(ratio, Scalars.Of(double.NegativeInfinity)), ratio).MoveToOuterDisposeScope();
    }
}
