using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// NPE-B (sbi's <c>NPE_B</c>, SNPE-B of Lueckmann et al. 2017): neural posterior estimation trained over rounds,
/// with the importance-weighted loss in rounds after the first. Typical use mirrors sbi:
/// <code>
/// var trainer = new NpeB(prior);
/// IDensity proposal = prior;
/// for (int r = 0; r &lt; rounds; r++) {
///     var theta = proposal is DirectPosterior p ? p.Sample(n) : prior.Sample(n);
///     var net = trainer.AppendSimulations(theta, simulator(theta), proposal).Train();
///     proposal = trainer.BuildPosterior(net).SetDefaultX(xo);
/// }
/// </code>
/// </summary>
public sealed partial class NpeB
{
    private readonly DensityEstimatorBuilder _builder;
    private readonly List<SimulationBlock> _blocks = new();
    private readonly SbiLog _log;
    private IDistribution? _prior;
    private bool _priorIsEmpirical;
    private ConditionalDensityEstimator? _network;
    private (Tensor Theta, Tensor X)? _buildBatch;

    /// <summary>Creates the trainer with one of sbi's estimators by name ("maf" default, "nsf", "mdn", "made").</summary>
    public NpeB(IDistribution? prior = null, string densityEstimator = "maf", string device = "cpu", bool showProgressBars = true, SbiLog? log = null)
        : this(prior, PosteriorNn.Build(densityEstimator), device, showProgressBars, log) { }

    /// <summary>Creates the trainer with a builder (see <see cref="PosteriorNn.Build(DensityEstimatorOptions)"/> or your own).</summary>
    public NpeB(IDistribution? prior, DensityEstimatorBuilder densityEstimator, string device = "cpu", bool showProgressBars = true, SbiLog? log = null)
    {
        ArgumentNullException.ThrowIfNull(densityEstimator);
        _builder = densityEstimator;
        Device = Devices.Resolve(device);
        ShowProgressBars = showProgressBars;
        _log = log ?? SbiLog.Default;
        _prior = prior;
    }

    /// <summary>Training device.</summary>
    public Device Device { get; }
    /// <summary>Whether training prints progress ("Training neural network. Epochs trained: n").</summary>
    public bool ShowProgressBars { get; set; }
    /// <summary>The prior (or the improper empirical prior made from the data when none was given).</summary>
    public IDistribution? Prior => _prior;
    /// <summary>The live network being trained (null before the first <see cref="Train"/>).</summary>
    public ConditionalDensityEstimator? Network => _network;
    /// <summary>sbi's training summary.</summary>
    public TrainingSummary Summary { get; } = new();
    /// <summary>The current round (largest appended round index at the last <see cref="Train"/>).</summary>
    public int Round { get; private set; }
    /// <summary>Raised after every epoch.</summary>
    public event Action<EpochInfo>? EpochCompleted;

    /// <summary>
    /// Stores simulations (θ (n, D), x (n, *x_shape)) with the proposal they were drawn from. Round 0 when
    /// <paramref name="proposal"/> is null or the prior object itself; else the next round. Invalid x rows (NaN/±inf)
    /// are dropped when <paramref name="excludeInvalidX"/> (default: true in round 0, false later); in later rounds
    /// invalid rows that are kept raise, since NPE-B's batch-normalised weights do not allow them.
    /// Deviation from sbi: a round-0 block appended without a proposal counts as drawn from the prior in later rounds
    /// (sbi crashes there).
    /// </summary>
    public NpeB AppendSimulations(Tensor theta, Tensor x, IDensity? proposal = null, bool? excludeInvalidX = null, string? dataDevice = null)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(x);
        var dev = dataDevice is null ? Device : Devices.Resolve(dataDevice, nameof(dataDevice));
        if (theta.dim() != 2) throw new ArgumentException($"theta must be 2-D (n, D); got shape {Guard.Shape(theta)}.", nameof(theta));
        if (x.dim() < 2) throw new ArgumentException($"x must have a batch dimension (n, ...); got shape {Guard.Shape(x)}.", nameof(x));
        if (theta.shape[0] != x.shape[0])
            throw new ArgumentException($"theta and x must have the same number of rows; theta has {theta.shape[0]} (shape {Guard.Shape(theta)}), x has {x.shape[0]} (shape {Guard.Shape(x)}).", nameof(x));
        if (theta.shape[0] == 0) throw new ArgumentException("theta and x must have at least one row; got 0.", nameof(theta));
        if (_prior is not null && !_priorIsEmpirical && theta.shape[1] != _prior.Dim)
            throw new ArgumentException($"theta must have the prior's dimension {_prior.Dim}; got {theta.shape[1]} (shape {Guard.Shape(theta)}).", nameof(theta));
        if (_blocks.Count > 0)
        {
            var first = _blocks[0];
            if (theta.shape[1] != first.Theta.shape[1])
                throw new ArgumentException($"theta must have {first.Theta.shape[1]} columns like earlier simulations; got {theta.shape[1]}.", nameof(theta));
            if (!x.shape[1..].SequenceEqual(first.X.shape[1..]))
                throw new ArgumentException($"x rows must have shape ({string.Join(", ", first.X.shape[1..])}) like earlier simulations; got ({string.Join(", ", x.shape[1..])}).", nameof(x));
        }
        int round = RoundOf(proposal);
        CheckProposal(proposal, round);
        bool exclude = excludeInvalidX ?? round == 0;

        using var scope = NewDisposeScope();
        var th = theta.to(ScalarType.Float32, dev);
        var xs = x.to(ScalarType.Float32, dev);
        if (th.isnan().any().item<bool>())
            throw new ArgumentException($"theta contains NaN in {th.isnan().any(1).sum().item<long>()} row(s); parameters must be numbers.", nameof(theta));
        var flat = xs.reshape(xs.shape[0], -1);
        var nanRows = flat.isnan().any(1);
        var infRows = flat.isinf().any(1).logical_and(nanRows.logical_not());
        long nNan = nanRows.sum().item<long>(), nInf = infRows.sum().item<long>();
        if (nNan + nInf > 0)
        {
            if (round > 0 && !exclude)
                throw new ArgumentException($"Found {nNan} NaN and {nInf} Inf simulations in x. NPE-B in rounds after the first does not allow invalid simulations " +
                                            "(its importance weights are normalised over each batch); pass excludeInvalidX: true to drop them, knowing results may be systematically wrong.", nameof(x));
            if (exclude)
            {
                var valid = nanRows.logical_or(infRows).logical_not();
                if (valid.sum().item<long>() == 0)
                    throw new ArgumentException($"every one of the {theta.shape[0]} rows of x is invalid ({nNan} NaN, {nInf} Inf); nothing is left to train on.", nameof(x));
                th = th.index(valid);
                xs = xs.index(valid);
                _log.Warning($"Found {nNan} NaN simulations and {nInf} Inf simulations. They will be excluded from training." +
                             (round > 0 ? " Excluding them in later rounds can give systematically wrong results." : ""));
            }
            else
            {
                _log.Warning($"Found {nNan} NaN simulations and {nInf} Inf simulations. They are kept (excludeInvalidX is false); training will likely fail.");
            }
        }
        var mask = full(new long[] { th.shape[0], 1 }, round == 0, dtype: ScalarType.Bool, device: dev);
        _blocks.Add(new SimulationBlock(round, th.clone().DetachFromDisposeScope(), xs.clone().DetachFromDisposeScope(),
                                        mask.DetachFromDisposeScope(), proposal));
        if (_prior is null || _priorIsEmpirical)
        {
            var (allTheta, _, _) = GetSimulations();
            _prior = new ImproperEmpirical(allTheta);
            _priorIsEmpirical = true;
        }
        return this;
    }

    private int RoundOf(IDensity? proposal)
    {
        if (proposal is null || ReferenceEquals(proposal, _prior)) return 0;
        return _blocks.Count == 0 ? 1 : _blocks.Max(b => b.Round) + 1;
    }

    private void CheckProposal(IDensity? proposal, int round)
    {
        if ((_prior is null || _priorIsEmpirical) && proposal is not null)
            throw new ArgumentException("a proposal was given but the trainer has no prior; multi-round NPE-B needs a prior.", nameof(proposal));
        if (proposal is DirectPosterior dp)
        {
            if (dp.DefaultX is null)
                throw new ArgumentException("the proposal posterior has no default x: call SetDefaultX(x_o) on it first.", nameof(proposal));
            if (_network is not null && ReferenceEquals(dp.PosteriorEstimator, _network))
                throw new ArgumentException("the proposal's estimator is the trainer's live network; build proposals with BuildPosterior, which copies it.", nameof(proposal));
        }
        else if (proposal is not null && !ReferenceEquals(proposal, _prior))
        {
            _log.Warning("The proposal is neither the prior nor a DirectPosterior; it is used as given.");
        }
        if (proposal is null && Round > 0)
            throw new ArgumentException("proposal is null after multi-round training: pass the proposal the simulations were drawn from.", nameof(proposal));
    }

    /// <summary>All stored simulations of rounds ≥ <paramref name="startingRound"/>, in append order: θ, x and prior masks (N, 1).</summary>
    public (Tensor Theta, Tensor X, Tensor PriorMasks) GetSimulations(int startingRound = 0)
    {
        var blocks = _blocks.Where(b => b.Round >= startingRound).ToList();
        if (blocks.Count == 0) throw new InvalidOperationException($"no simulations from round {startingRound} on; call AppendSimulations first.");
        return (cat(blocks.Select(b => b.Theta).ToList(), 0), cat(blocks.Select(b => b.X).ToList(), 0), cat(blocks.Select(b => b.PriorMask).ToList(), 0));
    }

    /// <summary>
    /// Builds a <see cref="DirectPosterior"/> over a copy of the estimator (the trained network by default), so the
    /// posterior stays frozen while training continues.
    /// </summary>
    public DirectPosterior BuildPosterior(ConditionalDensityEstimator? densityEstimator = null, IDistribution? prior = null, int maxSamplingBatchSize = 10_000)
    {
        var p = prior ?? _prior ?? throw new InvalidOperationException("BuildPosterior needs a prior: none was given to the trainer or here.");
        var source = densityEstimator ?? _network ?? throw new InvalidOperationException("BuildPosterior needs a trained network: call Train first or pass one.");
        var copy = CopyEstimator(source);
        LastPosterior = new DirectPosterior(copy, p, maxSamplingBatchSize, log: _log);
        return LastPosterior;
    }

    /// <summary>The posterior built last.</summary>
    public DirectPosterior? LastPosterior { get; private set; }

    /// <summary>
    /// A deep copy of an estimator: the builder is run again on the batch the network was built from (the global
    /// RNG state is saved and restored, so the copy does not perturb random streams) and the weights are copied.
    /// </summary>
    public ConditionalDensityEstimator CopyEstimator(ConditionalDensityEstimator source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (th, xs) = _buildBatch ?? throw new InvalidOperationException("no network was built by this trainer yet, so it cannot copy estimators.");
        var state = random.get_rng_state();
        ConditionalDensityEstimator copy;
        try { copy = _builder(th, xs); }
        finally { random.set_rng_state(state); state.Dispose(); }
        copy.to(source.Device);
        StateDictLoader.Load(copy, source.state_dict(), "source estimator");
        copy.eval();
        return copy;
    }
}
