using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Tracking;
using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// sbi's <c>NeuralInference</c> (sbi/inference/trainers/base.py): what every simulation-based trainer shares. It stores
/// the appended simulations by round, splits them into training and validation rows, runs the training loop (Adam,
/// gradient clipping, early stopping, best-weights snapshots, cancellation) on a <see cref="RowLoss"/> the method
/// defines, and copies estimators. <see cref="NpeBase"/> adds neural posterior estimation's rules; <see cref="NpeB"/>
/// its importance-weighted loss.
/// </summary>
public abstract partial class NeuralInference
{
    private readonly DensityEstimatorBuilder _builder;
    private readonly List<SimulationBlock> _blocks = new();
    private IDistribution? _prior;
    private bool _priorIsEmpirical;
    private ConditionalDensityEstimator? _network;
    private (Tensor Theta, Tensor X)? _buildBatch;

    /// <summary>
    /// The trainer with a density-estimator builder (see <see cref="PosteriorNn.Build(DensityEstimatorOptions)"/>) and
    /// where its training statistics go: <paramref name="tracker"/>, or a <see cref="TensorBoardTracker"/> on
    /// <paramref name="summaryWriter"/> (sbi's deprecated alias), or, with neither, <see cref="NullTracker"/>: no file is
    /// written unless asked for (sbi writes to ./sbi-logs by default; pass <see cref="TensorBoardTracker.Default"/> for that).
    /// Its warnings and information lines, and those of the posteriors it builds, go to <paramref name="logger"/>
    /// (<see cref="Loggers.Default"/>, standard error, when null), only those at <paramref name="loggingLevel"/> or above
    /// (sbi's <c>logging_level</c>; null leaves the logger's own filter alone).
    /// </summary>
    /// <exception cref="ArgumentException">Both <paramref name="tracker"/> and <paramref name="summaryWriter"/> are given, or
    /// <paramref name="loggingLevel"/> is no level.</exception>
    protected NeuralInference(IDistribution? prior, DensityEstimatorBuilder densityEstimator, string device, bool showProgressBars, ILogger? logger,
                              ITracker? tracker = null, SummaryWriter? summaryWriter = null, LoggingLevel? loggingLevel = null)
    {
        ArgumentNullException.ThrowIfNull(densityEstimator);
        // sbi/inference/trainers/base.py, NeuralInference.__init__: "Pass only one of summary_writer or tracker."
        if (tracker is not null && summaryWriter is not null)
            throw new ArgumentException("pass only one of summaryWriter and tracker; got both (summaryWriter is sbi's older name for a TensorBoard tracker).", nameof(summaryWriter));
        _builder = densityEstimator;
        Device = Devices.Resolve(device);
        ShowProgressBars = showProgressBars;
        Logger = loggingLevel is { } level ? LevelFilterLogger.Over(logger.OrDefault(), level.ToLogLevel(nameof(loggingLevel))) : logger.OrDefault();
        Tracker = tracker ?? (summaryWriter is null ? NullTracker.Instance : new TensorBoardTracker(summaryWriter));
        _prior = prior;
    }

    /// <summary>
    /// Where training statistics go after every <c>Train</c> call (sbi's <c>_tracker</c>): <see cref="TrackerTags"/> at sbi's
    /// steps. <see cref="NullTracker"/> unless a tracker or summary writer was passed.
    /// </summary>
    public ITracker Tracker { get; }

    /// <summary>The method's name as sbi spells it (its class name, e.g. "NPE_B"): the folder of <see cref="DefaultTracker"/>.</summary>
    public virtual string MethodName => GetType().Name;

    /// <summary>
    /// sbi's default tracker for this method (<c>_default_tracker</c>): a TensorBoard tracker in
    /// <c>&lt;logRoot&gt;/&lt;MethodName&gt;/&lt;ISO time&gt;</c>, <paramref name="logRoot"/> defaulting to ./sbi-logs.
    /// </summary>
    public TensorBoardTracker DefaultTracker(string? logRoot = null) => TensorBoardTracker.Default(MethodName, logRoot);

    /// <summary>Training device.</summary>
    public Device Device { get; }
    /// <summary>Whether training prints progress ("Training neural network. Epochs trained: n").</summary>
    public bool ShowProgressBars { get; set; }
    /// <summary>The prior (or the improper empirical prior made from the data when none was given).</summary>
    public IDistribution? Prior => _prior;
    /// <summary>Whether <see cref="Prior"/> was made from the data because none was given.</summary>
    protected bool PriorIsEmpirical => _priorIsEmpirical;
    /// <summary>The live network being trained (null before the first training).</summary>
    public ConditionalDensityEstimator? Network => _network;
    /// <summary>sbi's training summary.</summary>
    public TrainingSummary Summary { get; } = new();
    /// <summary>The current round (largest appended round index at the last training).</summary>
    public int Round { get; protected set; }
    /// <summary>Raised after every epoch (as the <c>progress</c> of <c>Train</c> is told).</summary>
    public event Action<EpochInfo>? EpochCompleted;
    /// <summary>Where warnings and information go: the logger given, filtered by the <c>loggingLevel</c> given.</summary>
    protected ILogger Logger { get; }
    /// <summary>The appended simulations, in order.</summary>
    protected IReadOnlyList<SimulationBlock> Blocks => _blocks;

    /// <summary>
    /// Checks and stores simulations (θ (n, D), x (n, *x_shape)) of <paramref name="round"/> drawn from
    /// <paramref name="proposal"/>. Invalid x rows (NaN/±inf) are dropped when <paramref name="excludeInvalidX"/>, else
    /// kept with a warning, unless the method refuses them (<see cref="InvalidSimulationsRefusal"/>).
    /// </summary>
    protected void StoreSimulations(Tensor theta, Tensor x, IDensity? proposal, int round, bool excludeInvalidX, string? dataDevice)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(x);
        var dev = dataDevice is null ? Device : Devices.Resolve(dataDevice, nameof(dataDevice));
        CheckShapes(theta, x);
        using var scope = NewDisposeScope();
        var th = theta.to(ScalarType.Float32, dev);
        var xs = x.to(ScalarType.Float32, dev);
        var badTheta = th.isfinite().logical_not().any(1);
        if (badTheta.any().item<bool>())
        {
            long row = badTheta.nonzero()[0, 0].item<long>();
            throw new ArgumentException($"theta contains NaN or ±inf in {badTheta.sum().item<long>()} row(s), first row {row}: " +
                                        $"{SimulationChecks.Row(th, row)}; parameters must be finite numbers.", nameof(theta));
        }
        if (_prior is not null && !_priorIsEmpirical) SimulationChecks.WarnOutsideSupport(_prior, th, Logger);
        var flat = xs.reshape(xs.shape[0], -1);
        var nanRows = flat.isnan().any(1);
        var infRows = flat.isinf().any(1).logical_and(nanRows.logical_not());
        long nNan = nanRows.sum().item<long>(), nInf = infRows.sum().item<long>();
        if (nNan + nInf > 0)
        {
            if (!excludeInvalidX && InvalidSimulationsRefusal(round) is { } refusal)
                throw new ArgumentException($"Found {nNan} NaN and {nInf} Inf simulations in x. {refusal}", nameof(x));
            if (excludeInvalidX)
            {
                var valid = nanRows.logical_or(infRows).logical_not();
                if (valid.sum().item<long>() == 0)
                    throw new ArgumentException($"every one of the {theta.shape[0]} rows of x is invalid ({nNan} NaN, {nInf} Inf); nothing is left to train on.", nameof(x));
                th = th.index(valid);
                xs = xs.index(valid);
                Logger.LogWarning(LogEvents.Simulations, $"Found {nNan} NaN simulations and {nInf} Inf simulations. They will be excluded from training." +
                            (round > 0 ? " Excluding them in later rounds can give systematically wrong results." : ""));
            }
            else
            {
                Logger.LogWarning(LogEvents.Simulations, $"Found {nNan} NaN simulations and {nInf} Inf simulations. They are kept (excludeInvalidX is false); training will likely fail.");
            }
        }
        SimulationChecks.WarnConstantColumns(th, "theta", Logger);
        SimulationChecks.WarnConstantColumns(xs.reshape(xs.shape[0], -1), "x", Logger);
        using Scalar fromPrior = round == 0;
        var mask = full(new long[] { th.shape[0], 1 }, fromPrior, dtype: ScalarType.Bool, device: dev);
        _blocks.Add(new SimulationBlock(round, th.clone().DetachFromDisposeScope(), xs.clone().DetachFromDisposeScope(),
                                        mask.DetachFromDisposeScope(), proposal));
        if (_prior is null || _priorIsEmpirical)
        {
            var (allTheta, _, _) = GetSimulations();
            _prior = new ImproperEmpirical(allTheta);
            _priorIsEmpirical = true;
        }
    }

    /// <summary>
    /// Why the method cannot train on invalid x that are kept in <paramref name="round"/> (the message of the error),
    /// or null when it can. Default: null.
    /// </summary>
    protected virtual string? InvalidSimulationsRefusal(int round) => null;

    private void CheckShapes(Tensor theta, Tensor x)
    {
        if (theta.dim() != 2) throw new ArgumentException($"theta must be 2-D (n, D); got shape {Guard.Shape(theta)}.", nameof(theta));
        if (x.dim() < 2) throw new ArgumentException($"x must have a batch dimension (n, ...); got shape {Guard.Shape(x)}.", nameof(x));
        if (theta.shape[0] != x.shape[0])
            throw new ArgumentException($"theta and x must have the same number of rows; theta has {theta.shape[0]} (shape {Guard.Shape(theta)}), x has {x.shape[0]} (shape {Guard.Shape(x)}).", nameof(x));
        if (theta.shape[0] == 0) throw new ArgumentException("theta and x must have at least one row; got 0.", nameof(theta));
        if (_prior is not null && !_priorIsEmpirical && theta.shape[1] != _prior.Dim)
            throw new ArgumentException($"theta must have the prior's dimension {_prior.Dim}; got {theta.shape[1]} (shape {Guard.Shape(theta)}).", nameof(theta));
        if (_blocks.Count == 0) return;
        var first = _blocks[0];
        if (theta.shape[1] != first.Theta.shape[1])
            throw new ArgumentException($"theta must have {first.Theta.shape[1]} columns like earlier simulations; got {theta.shape[1]}.", nameof(theta));
        if (!x.shape[1..].SequenceEqual(first.X.shape[1..]))
            throw new ArgumentException($"x rows must have shape ({string.Join(", ", first.X.shape[1..])}) like earlier simulations; got ({string.Join(", ", x.shape[1..])}).", nameof(x));
    }

    /// <summary>All stored simulations of rounds ≥ <paramref name="startingRound"/>, in append order: θ, x and prior masks (N, 1).</summary>
    public (Tensor Theta, Tensor X, Tensor PriorMasks) GetSimulations(int startingRound = 0)
    {
        var blocks = _blocks.Where(b => b.Round >= startingRound).ToList();
        if (blocks.Count == 0) throw new InvalidOperationException($"no simulations from round {startingRound} on; call AppendSimulations first.");
        return (cat(blocks.Select(b => b.Theta).ToList(), 0), cat(blocks.Select(b => b.X).ToList(), 0), cat(blocks.Select(b => b.PriorMask).ToList(), 0));
    }

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

    /// <summary>Builds a fresh network from the training rows (z-score statistics from the training subset only, on the CPU, as sbi).</summary>
    private void BuildNetwork(Tensor theta, Tensor x)
    {
        using var scope = NewDisposeScope();
        var idx = _trainIndices!.to(theta.device);
        var th = theta.index_select(0, idx).cpu();
        var xs = x.index_select(0, idx).cpu();
        _network?.Dispose();
        _network = _builder(th, xs);
        long keep = Math.Min(200, th.shape[0]);
        if (_buildBatch is { } old) { old.Theta.Dispose(); old.X.Dispose(); }
        _buildBatch = (th.narrow(0, 0, keep).clone().DetachFromDisposeScope(), xs.narrow(0, 0, keep).clone().DetachFromDisposeScope());
        try
        {
            using var _ = no_grad();
            _network.LogProbPaired(th.narrow(0, 0, Math.Min(2, th.shape[0])), xs.narrow(0, 0, Math.Min(2, xs.shape[0])));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException("The density estimator failed on the first two training rows" +
                (xs.dim() > 2 ? "; x is multi-dimensional, so pass an embedding net that flattens it." : "."), e);
        }
        StateDictLoader.Dispose(_bestSnapshot);
        _bestSnapshot = null;
        _optimizer?.Dispose();
        _optimizer = null;
    }
}
