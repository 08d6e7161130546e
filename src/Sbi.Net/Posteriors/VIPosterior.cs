using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers.Vi;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>Whether a <see cref="VIPosterior"/>'s q is fitted, and how.</summary>
public enum VIMode
{
    /// <summary>No q has been trained yet.</summary>
    Untrained,
    /// <summary>q(θ) fitted to the potential at one observation (<see cref="VIPosterior.Train"/>).</summary>
    SingleX,
    /// <summary>q(θ | x) fitted for all observations at once (<see cref="VIPosterior.TrainAmortized"/>).</summary>
    Amortized,
}

/// <summary>
/// sbi's <c>VIPosterior</c> (sbi/inference/posteriors/vi_posterior.py): a variational density q fitted to the potential
/// of an observation, after which sampling and log-densities cost what a flow's do. q lives in the prior's unconstrained
/// space and is pushed through the inverse θ transform (<see cref="VariationalDistribution"/>), so its samples always lie
/// in the support. <see cref="Train"/> fits q(θ) at one x by one of sbi's divergences ("rKL", "fKL", "IW", "alpha";
/// <see cref="DivergenceObjective"/>) with sbi's schedule (prior warm-up, Adam, exponential learning-rate decay, gradient
/// clipping, sbi's convergence check) and quality control (<see cref="Evaluate"/>: PSIS Pareto-k̂ or sbi's
/// proportionality R²); <see cref="TrainAmortized"/> fits one q(θ | x) for all observations (sbi 0.26). <see cref="LogProb(Tensor, Tensor?)"/>
/// is q's exact, normalised density (−∞ outside the prior's support).
/// Deviations from sbi: q is built on first use (its x pipeline needs x's shape); a non-finite potential value during
/// training stops with an error that names the iteration (sbi silently resets q); the best q is restored on that error and
/// on cancellation; amortised q lives in the unconstrained space too (sbi's amortised flow models θ directly, so its
/// samples can leave a bounded support).
/// </summary>
public sealed partial class VIPosterior : PotentialPosterior
{
    /// <summary>Prior samples whose unconstrained images z-score a new q's θ (sbi: 1,000).</summary>
    public const int ZScoreSamples = 1000;

    private readonly ConditionalDensityEstimator? _userQ;
    private readonly Dictionary<string, Tensor>? _userQInitial;
    private long[]? _xShape;
    private VariationalDistribution? _q;
    private Tensor? _trainedOn;
    private string _viMethod;
    private bool _warmUpDone;

    /// <summary>
    /// A VI posterior over <paramref name="potential"/> with <paramref name="prior"/> (the potential's prior: q's support,
    /// warm-up target and MAP's space). <paramref name="thetaTransform"/> maps the support to ℝ^D (default: the prior's
    /// <see cref="IDistribution.ThetaTransform"/>, which is what a saved posterior records). <paramref name="q"/> is a
    /// user's own q(z | x) in that space (a flow with a standard-normal base or a <see cref="GaussianQ"/>); without it q is
    /// built from <see cref="VIPosteriorParameters.Q"/>. Warnings and information lines go to <paramref name="logger"/> (standard error when null; NullLogger.Instance silences them).
    /// </summary>
    /// <exception cref="ArgumentException">q's θ dimension differs from the prior's, or q cannot be reparameterised.</exception>
    public VIPosterior(BasePotential potential, IDistribution prior, VIPosteriorParameters? parameters = null, IBijector? thetaTransform = null,
                       ConditionalDensityEstimator? q = null, ILogger? logger = null)
        : base(potential, prior ?? throw new ArgumentNullException(nameof(prior)), thetaTransform, logger)
    {
        Parameters = parameters ?? new VIPosteriorParameters();
        _viMethod = Parameters.ViMethod;
        UsesPriorTransform = thetaTransform is null;
        if (q is not null)
        {
            if (q.InputDim != prior.Dim)
                throw new ArgumentException($"q's θ dimension must equal the prior's, {prior.Dim}; got {q.InputDim} (q '{q.Config.Estimator}').", nameof(q));
            VariationalFamilies.RequireReparameterisable(q, "the given q");
            _userQ = q;
            _userQInitial = StateDictLoader.Snapshot(q);
            _xShape = q.ConditionShape;
        }
        else if (potential is PosteriorBasedPotential pb) _xShape = pb.PosteriorEstimator.ConditionShape;
        else if (potential.XO is { } xo) _xShape = xo.shape[1..];
    }

    /// <summary>The settings (sbi's constructor arguments).</summary>
    public VIPosteriorParameters Parameters { get; }

    /// <summary>The current VI method ("rKL", "fKL", "IW", "alpha"), initially <see cref="VIPosteriorParameters.ViMethod"/>.</summary>
    public string ViMethod => _viMethod;

    /// <summary>Whether the θ transform is the prior's own (so that the posterior can be saved and exported).</summary>
    public bool UsesPriorTransform { get; }

    /// <summary>Whether q is untrained, fitted at one x or amortised.</summary>
    public VIMode Mode { get; private set; }

    /// <summary>q in θ space, or null before the first training.</summary>
    public VariationalDistribution? Q => _q;

    /// <summary>The observation a single-x q was fitted at (1, *x_shape), or null.</summary>
    public Tensor? TrainedOn => _trainedOn;

    /// <summary>What the last training did, or null before one.</summary>
    public VITrainingSummary? TrainingSummary { get; private set; }

    /// <summary>The event shape of one x, once known.</summary>
    public IReadOnlyList<long>? XShape => _xShape;

    /// <summary>sbi's <c>set_vi_method</c>: the divergence the next <see cref="Train"/> fits ("rKL", "fKL", "IW", "alpha").</summary>
    /// <exception cref="ArgumentException">an unknown method; the message lists sbi's four.</exception>
    public VIPosterior SetViMethod(string method)
    {
        _ = DivergenceObjective.Create(method);
        _viMethod = method;
        return this;
    }

    /// <summary>Sets the default observation (checked by the potential); q is not retrained.</summary>
    public new VIPosterior SetDefaultX(Tensor x)
    {
        base.SetDefaultX(x);
        return this;
    }

    /// <summary>
    /// <paramref name="n"/> samples (n, D) of q at x (or the default x, or a single-x q's own x), all inside the prior's
    /// support. A single-x q samples only at the observation it was fitted at (sbi's rule); an amortised q at any x.
    /// </summary>
    /// <exception cref="InvalidOperationException">q is not trained, or no x is given and none is set.</exception>
    /// <exception cref="ArgumentException">x differs from the observation a single-x q was fitted at, or has the wrong shape.</exception>
    public override Tensor Sample(long n, Tensor? x = null)
    {
        Guard.Positive(n, nameof(n));
        using var scope = NewDisposeScope();
        var (q, xo) = Fitted(x, nameof(x));
        return q.Sample(n, xo).reshape(n, Dim).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// log q(θ | x) for rows θ (n, D) at x (or the default x): q's exact, normalised density, −∞ outside the prior's
    /// support; returns (n). Same rules for x as <see cref="Sample"/>.
    /// </summary>
    public override Tensor LogProb(Tensor theta, Tensor? x = null) => LogProb(theta, x, trackGradients: false);

    /// <summary>True: <see cref="LogProb(Tensor, Tensor?)"/> is q's exact, normalised density, so a fitted VI posterior can be NPE-B's next proposal.</summary>
    public override bool IsNormalized => true;

    /// <summary><see cref="LogProb(Tensor, Tensor?)"/>, differentiable in θ and q's parameters with <paramref name="trackGradients"/>.</summary>
    public Tensor LogProb(Tensor theta, Tensor? x, bool trackGradients)
    {
        var t = CheckTheta(theta);
        using var scope = NewDisposeScope();
        using var grad = trackGradients ? enable_grad() : no_grad();
        var (q, xo) = Fitted(x, nameof(x));
        var th = t.to(ScalarType.Float32, q.Q.Device);
        var lp = q.LogProb(th, xo);
        return where(Support.Within(Prior, th), lp, tensor(float.NegativeInfinity, device: lp.device)).MoveToOuterDisposeScope();
    }

    /// <summary>MAP starts from q's samples at the default x (sbi sets <c>proposal = q</c> in <c>VIPosterior.map</c>).</summary>
    protected override Tensor MapStartPoints(int numInitSamples) => Sample(numInitSamples);

    /// <summary>q and x (1, *x_shape) for sampling or evaluation, checked against the mode.</summary>
    private (VariationalDistribution Q, Tensor X) Fitted(Tensor? x, string name)
    {
        if (_q is null || Mode == VIMode.Untrained)
            throw new InvalidOperationException("The variational posterior is not trained: call Train(x) (or TrainAmortized) first.");
        // Without x: the default x, or (single-x) the observation q was fitted at.
        var xo = x ?? DefaultX ?? (Mode == VIMode.SingleX ? _trainedOn!
            : throw new InvalidOperationException("No x given and no default x set: an amortised q needs x; pass x or call SetDefaultX."));
        var processed = ProcessX(xo, name);
        if (Mode == VIMode.SingleX && !SameX(processed, _trainedOn!))
            throw new ArgumentException($"The variational posterior was fitted at x_o = {Values(_trainedOn!)}, not at the given x = {Values(processed)}: " +
                                        "train it at that x (Train(x)), or train an amortised q (TrainAmortized).", name);
        return (_q, processed.to(_q.Q.Device));
    }

    /// <summary>x as one observation (1, *x_shape), float32, finite; learns x's shape when it is not known yet.</summary>
    internal Tensor ProcessX(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        var t = x.to(ScalarType.Float32);
        if (_xShape is null) _xShape = t.dim() >= 2 && t.shape[0] == 1 ? t.shape[1..] : t.shape;
        if (t.dim() == _xShape.Length) t = t.unsqueeze(0);
        if (t.dim() != _xShape.Length + 1 || t.shape[0] != 1 || !t.shape[1..].SequenceEqual(_xShape))
            throw new ArgumentException($"{name} must have shape ({string.Join(", ", _xShape)}) or (1, {string.Join(", ", _xShape)}); got {Guard.Shape(x)}.", name);
        Guard.Finite(t, name);
        return t;
    }

    private static bool SameX(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.to(b.device).eq(b).all().item<bool>();
    }

    private static string Values(Tensor x)
    {
        using var flat = x.detach().cpu().reshape(-1).to(ScalarType.Float64);
        var v = flat.data<double>().ToArray();
        var shown = string.Join(", ", v.Take(6).Select(d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));
        return $"[{shown}{(v.Length > 6 ? ", …" : "")}]";
    }
}
