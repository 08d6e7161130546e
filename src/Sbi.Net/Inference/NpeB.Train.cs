using System.Diagnostics;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Inference;

public sealed partial class NpeB
{
    private Sbi.Optim.FlatAdam? _optimizer;
    private SimulationLoader? _trainLoader, _valLoader;
    private Tensor? _trainIndices, _valIndices;
    private int _epoch;
    private double _valLoss = double.PositiveInfinity, _bestValLoss = double.PositiveInfinity;
    private int _epochsSinceImprovement;
    private Dictionary<string, Tensor>? _bestSnapshot;
    private Sbi.Nn.Fused.IFusedTrainingKernel? _fused;

    /// <summary>
    /// Train on the CPU through a hand-fused kernel (<c>Sbi.Nn.Fused</c>) where one exists for the estimator, instead
    /// of autograd (default true). Same maths, float rounding of order 1e-7 apart; other estimators, devices and
    /// configurations always use autograd.
    /// </summary>
    public bool UseFusedCpuKernels { get; set; } = true;

    /// <summary>
    /// A recorded split and per-epoch batch orders replayed instead of random ones (see
    /// <see cref="BatchSchedule"/>); null (the default) keeps sbi's random behaviour.
    /// </summary>
    public BatchSchedule? Schedule { get; set; }

    /// <summary>How the last <see cref="Train"/> computed gradients: "fused CPU kernel" or "autograd (reason)".</summary>
    public string TrainingBackend { get; private set; } = "autograd";

    /// <summary>
    /// Trains the density estimator on all stored simulations with sbi's defaults and rules (spec §2): random
    /// train/validation split, Adam, total-norm gradient clipping, early stopping after
    /// <paramref name="stopAfterEpochs"/> epochs without strict improvement of the validation loss, best weights
    /// restored. Round 0 (or <paramref name="forceFirstRoundLoss"/>) uses −log q; later rounds the NPE-B
    /// importance-weighted loss. Returns the live network. A non-finite loss, an exception or cancellation
    /// restores the best weights seen so far before the error propagates.
    /// </summary>
    /// <param name="trainingBatchSize">Rows per batch (200).</param>
    /// <param name="learningRate">Adam learning rate (5e-4).</param>
    /// <param name="validationFraction">Fraction of rows held out for validation, in (0, 1) (0.1).</param>
    /// <param name="stopAfterEpochs">Early-stopping patience (20).</param>
    /// <param name="maxNumEpochs">Epoch cap; as in sbi up to maxNumEpochs + 1 epochs run.</param>
    /// <param name="clipMaxNorm">Gradient-norm clip (5.0); null disables.</param>
    /// <param name="calibrationKernel">Weights per x row multiplying the per-row losses; null: 1.</param>
    /// <param name="resumeTraining">Continue the previous call's optimiser, split, epoch counter and best weights.</param>
    /// <param name="forceFirstRoundLoss">Use −log q in every round.</param>
    /// <param name="discardPriorSamples">Leave round-0 data out of training when the round is &gt; 0.</param>
    /// <param name="retrainFromScratch">Build a fresh network before training.</param>
    /// <param name="showTrainSummary">Print a short summary after training.</param>
    /// <param name="cancellationToken">Stops training between batches (best weights are restored).</param>
    public ConditionalDensityEstimator Train(int trainingBatchSize = 200, double learningRate = 5e-4, double validationFraction = 0.1,
        int stopAfterEpochs = 20, int maxNumEpochs = int.MaxValue, double? clipMaxNorm = 5.0, Func<Tensor, Tensor>? calibrationKernel = null,
        bool resumeTraining = false, bool forceFirstRoundLoss = false, bool discardPriorSamples = false, bool retrainFromScratch = false,
        bool showTrainSummary = false, CancellationToken cancellationToken = default)
    {
        Guard.Positive(trainingBatchSize, nameof(trainingBatchSize));
        Guard.Positive(learningRate, nameof(learningRate));
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"validationFraction must lie strictly between 0 and 1; got {validationFraction}.");
        Guard.Positive(stopAfterEpochs, nameof(stopAfterEpochs));
        Guard.Positive(maxNumEpochs, nameof(maxNumEpochs));
        if (clipMaxNorm is { } c) Guard.Positive(c, nameof(clipMaxNorm));
        if (_blocks.Count == 0) throw new InvalidOperationException("Train was called before AppendSimulations: there is no data to train on.");
        if (resumeTraining && _optimizer is null) throw new InvalidOperationException("resumeTraining needs an earlier Train call to resume.");

        Round = _blocks.Max(b => b.Round);
        if (Round == 0 && _network is not null && !forceFirstRoundLoss && !resumeTraining)
            throw new InvalidOperationException("The network was already trained on round-0 data. Pass forceFirstRoundLoss: true to train again with the " +
                                                "first-round loss, or resumeTraining: true to continue.");
        int startRound = discardPriorSamples && Round > 0 ? 1 : 0;
        var (theta, x, masks) = GetSimulations(startRound);

        if (!resumeTraining) MakeSplit(theta, x, masks, trainingBatchSize, validationFraction);
        else
        {
            _trainLoader = new SimulationLoader(theta, x, masks, _trainIndices!, _trainLoader!.BatchSize, Device);
            _valLoader = new SimulationLoader(theta, x, masks, _valIndices!, _valLoader!.BatchSize, Device);
            BindSchedule();
        }

        if (_network is null || retrainFromScratch) BuildNetwork(theta, x);
        _network!.to(Device);
        if (!resumeTraining)
        {
            _optimizer?.Dispose();
            var trainable = _network!.parameters().Where(p => p.requires_grad).ToList();
            if (trainable.Count == 0) throw new InvalidOperationException("the density estimator has no trainable parameters.");
            // Fresh moments every (non-resumed) call, as sbi builds a new torch Adam per round.
            _optimizer = new Sbi.Optim.FlatAdam(trainable, learningRate);
            PremaskWeights();
            _epoch = 0;
            _valLoss = double.PositiveInfinity;
        }
        BindFusedKernel();

        bool useFirstRoundLoss = Round == 0 || forceFirstRoundLoss;
        var proposals = _blocks.Select(b => b.Proposal).ToList();
        var counts = _blocks.Select(b => b.Count).ToList();
        using var weightTerms = useFirstRoundLoss ? null : new ImportanceTerms(theta, _prior!, proposals, counts);
        var progress = new TrainingProgress(ShowProgressBars, Round);
        try
        {
            while (_epoch <= maxNumEpochs && !Converged(stopAfterEpochs))
            {
                var clock = Stopwatch.StartNew();
                double trainLoss = TrainEpoch(weightTerms, calibrationKernel, clipMaxNorm, cancellationToken);
                _valLoss = ValidationLoss(weightTerms, calibrationKernel);
                double secs = clock.Elapsed.TotalSeconds;
                Summary.TrainingLoss.Add(trainLoss);
                Summary.ValidationLoss.Add(_valLoss);
                Summary.EpochDurationsSec.Add(secs);
                _epoch++;
                progress.Epoch(_epoch);
                EpochCompleted?.Invoke(new EpochInfo(Round, _epoch, trainLoss, _valLoss, Math.Min(_bestValLoss, _valLoss), secs));
            }
        }
        catch
        {
            RestoreBest();
            progress.End();
            throw;
        }
        finally
        {
            // The live network leaves Train as a plain module: weights loaded into it later need not be pre-masked.
            foreach (var l in _network!.modules().OfType<Sbi.Nn.MaskedLinear>()) l.Premasked = false;
            _fused?.Dispose();
            _fused = null;
        }
        progress.End();

        if (_epoch > maxNumEpochs)
        {
            // The last epoch was never scored by Converged: score it now (sbi's rule).
            if (_valLoss < _bestValLoss)
            {
                _bestValLoss = _valLoss;
                StateDictLoader.Dispose(_bestSnapshot);
                _bestSnapshot = StateDictLoader.Snapshot(_network!);
            }
            else RestoreBest();
            if (ShowProgressBars) _log.Warning($"Maximum number of epochs `maxNumEpochs={maxNumEpochs}` reached, but the network has not yet fully converged. Consider increasing it.");
        }
        else if (ShowProgressBars) _log.Info($"Neural network successfully converged after {_epoch} epochs.");

        Summary.EpochsTrained.Add(_epoch);
        Summary.BestValidationLoss.Add(_bestValLoss);
        if (showTrainSummary)
            _log.Info($"Training summary (round {Round + 1}): epochs trained {_epoch}, best validation loss {_bestValLoss:G6}, last training loss {Summary.TrainingLoss[^1]:G6}.");
        _optimizer!.ZeroGrad();
        return _network!;
    }

    /// <summary>
    /// Zeroes the masked entries of every MADE weight and masks their gradients in the optimiser, so the layers can
    /// skip W ⊙ M (same values forward, same gradients after masking: training is bitwise unchanged).
    /// </summary>
    private void PremaskWeights()
    {
        var layers = _network!.modules().OfType<Sbi.Nn.MaskedLinear>().ToList();
        if (layers.Count == 0) return;
        using (no_grad())
            foreach (var l in layers) l.Weight.mul_(l.Mask);
        _optimizer!.SetGradientMask(layers.Select(l => (l.Weight, l.Mask)));
        foreach (var l in layers) l.Premasked = true;
    }

    /// <summary>
    /// Binds the fused kernel of the estimator's family (<see cref="Sbi.Nn.Fused.FusedTrainingKernels"/>) to the network
    /// and the optimiser's gradient buffers when the configuration allows it. Masked MADE weights are zeroed again (a
    /// resumed call may follow a weight load) since the kernels multiply by the raw weights; the optimiser already
    /// masks their gradients.
    /// </summary>
    private void BindFusedKernel()
    {
        _fused?.Dispose();
        _fused = null;
        if (!UseFusedCpuKernels) { TrainingBackend = "autograd (fused kernels disabled)"; return; }
        _fused = Sbi.Nn.Fused.FusedTrainingKernels.TryCreate(_network!, out var reason);
        if (_fused is null) { TrainingBackend = $"autograd ({reason})"; return; }
        using (no_grad())
            foreach (var l in _network!.modules().OfType<Sbi.Nn.MaskedLinear>()) l.Weight.mul_(l.Mask);
        TrainingBackend = "fused CPU kernel";
    }

    /// <summary>log q(θ_i | x_i) of a batch through the fused kernel (keeping its activations for the backward pass).</summary>
    private Tensor FusedLogProb(Tensor theta, Tensor x)
    {
        using var _ = no_grad();
        var context = Sbi.Nn.Fused.FusedTrainingKernels.Embed(_network!, x);
        return _fused!.LogProb(theta, context);
    }

    private void MakeSplit(Tensor theta, Tensor x, Tensor masks, int batchSize, double validationFraction)
    {
        long n = theta.shape[0];
        long nTrain = (long)Math.Floor((1.0 - validationFraction) * n);
        long nVal = n - nTrain;
        if (nTrain < 1 || nVal < 1)
            throw new ArgumentException($"too few simulations for a validation set: {n} row(s) with validationFraction {validationFraction} give {nTrain} training and {nVal} validation rows; both must be at least 1.", nameof(validationFraction));
        _trainIndices?.Dispose();
        _valIndices?.Dispose();
        if (Schedule?.Split(Summary.EpochsTrained.Count, n, nTrain) is { } recorded)
        {
            _trainIndices = tensor(recorded.Train, device: theta.device).DetachFromDisposeScope();
            _valIndices = tensor(recorded.Validation, device: theta.device).DetachFromDisposeScope();
        }
        else
        {
            using var scope = NewDisposeScope();
            var perm = randperm(n, device: theta.device);
            _trainIndices = perm.narrow(0, 0, nTrain).clone().DetachFromDisposeScope();
            _valIndices = perm.narrow(0, nTrain, nVal).clone().DetachFromDisposeScope();
        }
        _trainLoader = new SimulationLoader(theta, x, masks, _trainIndices, Math.Min(batchSize, nTrain), Device);
        _valLoader = new SimulationLoader(theta, x, masks, _valIndices, Math.Min(batchSize, nVal), Device);
        BindSchedule();
    }

    /// <summary>Lets the loaders of the coming Train call (call index = rounds trained so far) replay the schedule's orders.</summary>
    private void BindSchedule()
    {
        if (Schedule is null) return;
        int call = Summary.EpochsTrained.Count;
        _trainLoader!.OrderSource = Schedule.Orders(call, true, _trainLoader.Indices);
        _valLoader!.OrderSource = Schedule.Orders(call, false, _valLoader.Indices);
    }

    private void BuildNetwork(Tensor theta, Tensor x)
    {
        using var scope = NewDisposeScope();
        // z-score statistics come from the training subset only, on the CPU (sbi §2.3).
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

    /// <summary>sbi's convergence check, run before every epoch (spec §2.6).</summary>
    private bool Converged(int stopAfterEpochs)
    {
        if (_epoch == 0 || _valLoss < _bestValLoss)
        {
            _bestValLoss = _valLoss;
            _epochsSinceImprovement = 0;
            StateDictLoader.Dispose(_bestSnapshot);
            _bestSnapshot = StateDictLoader.Snapshot(_network!);
        }
        else _epochsSinceImprovement++;
        if (_epochsSinceImprovement >= stopAfterEpochs)
        {
            RestoreBest();
            return true;
        }
        return false;
    }

    private void RestoreBest()
    {
        if (_bestSnapshot is not null && _network is not null)
            StateDictLoader.Load(_network, _bestSnapshot, "best-weights snapshot");
    }

    /// <summary>
    /// Per-row losses of a batch: −log q in round 0 (or when forced), else NPE-B's −w_i log q with the weights
    /// normalised over this batch from the precomputed prior and proposal-mixture log-densities of its rows.
    /// </summary>
    private Tensor Losses(SimulationLoader loader, (Tensor Theta, Tensor X, Tensor Mask, Tensor Index) batch, ImportanceTerms? terms,
                          Func<Tensor, Tensor>? kernel, Tensor? logProb = null)
    {
        var (theta, x, _, idx) = batch;
        var lp = logProb ?? _network!.LogProbPaired(theta, x);
        Tensor losses;
        if (terms is null) losses = -lp;
        else
        {
            var w = NpeBLoss.WeightsFromLogDensities(loader.Gather(terms.LogPrior, idx), loader.Gather(terms.LogMixture, idx));
            losses = -(w * lp);
        }
        if (!losses.isfinite().all().item<bool>())
            throw new NonFiniteLossException(_epoch + 1);
        return kernel is null ? losses : kernel(x).to(losses.device).reshape(-1) * losses;
    }

    private double TrainEpoch(ImportanceTerms? terms, Func<Tensor, Tensor>? kernel, double? clip, CancellationToken ct)
    {
        _network!.train();
        using var epochScope = NewDisposeScope();
        var sum = zeros(1, dtype: ScalarType.Float64, device: Device);
        foreach (var batch in _trainLoader!.IndexedBatches())
        {
            ct.ThrowIfCancellationRequested();
            using var batchScope = NewDisposeScope();
            _optimizer!.ZeroGrad();
            Tensor losses;
            if (_fused is null)
            {
                losses = Losses(_trainLoader, batch, terms, kernel);
                losses.mean().backward();
            }
            else
            {
                // The loss is a function of the log-probs only: autograd gives ∂L/∂log q_i on a leaf, the kernel the rest.
                var lp = FusedLogProb(batch.Theta, batch.X).requires_grad_(true);
                losses = Losses(_trainLoader, batch, terms, kernel, lp);
                losses.mean().backward();
                _fused.Backward(lp.grad!);
            }
            if (clip is { } c) _optimizer.ClipGradNorm(c);
            _optimizer.Step();
            sum.add_(losses.detach().sum());
            batch.Theta.Dispose(); batch.X.Dispose(); batch.Mask.Dispose();
        }
        return sum.item<double>() / (_trainLoader.Count * _trainLoader.BatchSize);
    }

    private double ValidationLoss(ImportanceTerms? terms, Func<Tensor, Tensor>? kernel)
    {
        _network!.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sum = zeros(1, dtype: ScalarType.Float64, device: Device);
        foreach (var batch in _valLoader!.IndexedBatches())
            sum.add_(Losses(_valLoader, batch, terms, kernel, _fused is null ? null : FusedLogProb(batch.Theta, batch.X)).sum());
        return sum.item<double>() / (_valLoader.Count * _valLoader.BatchSize);
    }

    /// <summary>The training and validation loaders of the current split (sbi's <c>get_dataloaders</c>).</summary>
    public (SimulationLoader Train, SimulationLoader Validation) GetDataloaders(int startingRound = 0, int trainingBatchSize = 200,
        double validationFraction = 0.1, bool resumeTraining = false)
    {
        var (theta, x, masks) = GetSimulations(startingRound);
        if (!resumeTraining || _trainIndices is null) MakeSplit(theta, x, masks, trainingBatchSize, validationFraction);
        return (_trainLoader!, _valLoader!);
    }
}

/// <summary>Raised when a training or validation loss is NaN or infinite; the best weights have been restored.</summary>
public sealed class NonFiniteLossException : InvalidOperationException
{
    /// <summary>Creates the exception for the (1-based) epoch.</summary>
    public NonFiniteLossException(int epoch)
        : base($"NaN/Inf present in the NPE loss in epoch {epoch}; training stopped and the best weights so far were restored.") => Epoch = epoch;

    /// <summary>The 1-based epoch in which the loss was not finite.</summary>
    public int Epoch { get; }
}
