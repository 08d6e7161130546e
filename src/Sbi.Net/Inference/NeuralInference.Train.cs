using Microsoft.Extensions.Logging;
using TorchSharp;
using System.Diagnostics;
using Sbi.Estimators;
using Sbi.Tracking;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Inference;

public abstract partial class NeuralInference
{
    private Sbi.Optim.FlatAdam? _optimizer;
    private SimulationLoader? _trainLoader, _valLoader;
    private Tensor? _trainIndices, _valIndices;
    private int _epoch;
    private double _valLoss = double.PositiveInfinity, _bestValLoss = double.PositiveInfinity;
    private int _epochsSinceImprovement;
    private Dictionary<string, Tensor>? _bestSnapshot;
    private ITrainingKernel? _kernel;
    private int _epochsTracked;

    /// <summary>
    /// Train on the CPU through the family's fused kernel (<see cref="IEstimatorFamily.TryCreateTrainingKernel"/>) where
    /// one exists, instead of autograd (default true). Same maths, float rounding of order 1e-7 apart; other estimators,
    /// devices and configurations always use autograd.
    /// </summary>
    public bool UseFusedCpuKernels { get; set; } = true;

    /// <summary>
    /// A recorded split and per-epoch batch orders replayed instead of random ones (see <see cref="BatchSchedule"/>);
    /// null (the default) keeps sbi's random behaviour.
    /// </summary>
    public BatchSchedule? Schedule { get; set; }

    /// <summary>How the last training computed gradients.</summary>
    public TrainingBackend TrainingBackend { get; private set; } = TrainingBackend.Autograd;

    /// <summary>Why (e.g. "fused kernels disabled", or the family's reason for not offering a kernel).</summary>
    public string TrainingBackendReason { get; private set; } = "not trained yet";

    /// <summary>Whether the network has been trained before (a round-0 retrain needs to be asked for).</summary>
    protected bool HasNetwork => _network is not null;

    /// <summary>
    /// sbi's training loop: random train/validation split, Adam, total-norm gradient clipping, early stopping after
    /// <see cref="TrainingSettings.StopAfterEpochs"/> epochs without strict improvement of the validation loss, best
    /// weights restored. <paramref name="createLoss"/> gets θ of the rows trained on (in stored order) and returns the
    /// method's loss for this call. A non-finite loss, an exception or cancellation restores the best weights seen so far
    /// before the error propagates. Returns the live network.
    /// </summary>
    protected ConditionalDensityEstimator RunTraining(TrainingSettings settings, Func<Tensor, RowLoss> createLoss)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(createLoss);
        CheckSettings(settings);
        // sbi's train: get_dataloaders first (a new split unless resuming), then the network is built on the training rows.
        var (theta, x, masks) = GetSimulations(settings.StartingRound);
        MakeLoaders(theta, x, masks, settings.StartingRound, settings.TrainingBatchSize, settings.ValidationFraction, settings.ResumeTraining);

        if (_network is null || settings.RetrainFromScratch) BuildNetwork(theta, x);
        _network!.to(Device);
        if (!settings.ResumeTraining)
        {
            _optimizer?.Dispose();
            var trainable = _network!.parameters().Where(p => p.requires_grad).ToList();
            if (trainable.Count == 0) throw new InvalidOperationException("the density estimator has no trainable parameters.");
            // Fresh moments every (non-resumed) call, as sbi builds a new torch Adam per round.
            _optimizer = new Sbi.Optim.FlatAdam(trainable, settings.LearningRate);
            PremaskWeights();
            _epoch = 0;
            _valLoss = double.PositiveInfinity;
        }
        BindKernel();

        using var loss = createLoss(theta);
        var progress = new TrainingProgress(ShowProgressBars, Round);
        var elapsed = Stopwatch.StartNew();
        try
        {
            while (_epoch <= settings.MaxNumEpochs && !Converged(settings.StopAfterEpochs))
            {
                var clock = Stopwatch.StartNew();
                double trainLoss = TrainEpoch(loss, settings.CalibrationKernel, settings.ClipMaxNorm, settings.CancellationToken);
                _valLoss = ValidationLoss(loss, settings.CalibrationKernel);
                double secs = clock.Elapsed.TotalSeconds;
                Summary.TrainingLoss.Add(trainLoss);
                Summary.ValidationLoss.Add(_valLoss);
                Summary.EpochDurationsSec.Add(secs);
                _epoch++;
                progress.Epoch(_epoch);
                var info = new EpochInfo(Round, _epoch, trainLoss, _valLoss, Math.Min(_bestValLoss, _valLoss), secs, elapsed.Elapsed.TotalSeconds);
                settings.Progress?.Report(info);
                EpochCompleted?.Invoke(info);
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
            // The live network leaves training as a plain module: weights loaded into it later need not be pre-masked.
            foreach (var l in _network!.modules().OfType<Sbi.Nn.MaskedLinear>()) l.Premasked = false;
            _kernel?.Dispose();
            _kernel = null;
        }
        progress.End();

        if (_epoch > settings.MaxNumEpochs)
        {
            // The last epoch was never scored by Converged: score it now (sbi's rule).
            if (_valLoss < _bestValLoss)
            {
                _bestValLoss = _valLoss;
                StateDictLoader.Dispose(_bestSnapshot);
                _bestSnapshot = StateDictLoader.Snapshot(_network!);
            }
            else RestoreBest();
            if (ShowProgressBars) Logger.LogWarning(LogEvents.Training, $"Maximum number of epochs `maxNumEpochs={settings.MaxNumEpochs}` reached, but the network has not yet fully converged. Consider increasing it.");
        }
        else if (ShowProgressBars) Logger.LogInformation(LogEvents.Training, $"Neural network successfully converged after {_epoch} epochs.");

        Summary.EpochsTrained.Add(_epoch);
        Summary.BestValidationLoss.Add(_bestValLoss);
        Summarize();
        if (settings.ShowTrainSummary) Logger.LogInformation(LogEvents.Training, Summary.DescribeRound(Round));
        _optimizer!.ZeroGrad();
        return _network!;
    }

    /// <summary>
    /// sbi's <c>_summarize</c> (sbi/inference/trainers/base.py): this call's <c>epochs_trained</c> and
    /// <c>best_validation_loss</c> at step round + 1, then every epoch not yet sent, at its index over all calls
    /// (<c>validation_loss</c>, then <c>training_loss</c>, then <c>epoch_durations_sec</c>), then a flush.
    /// sbi starts the epochs at the sum of the earlier calls' <c>epochs_trained</c>; that is the number already sent
    /// except after a resumed call (whose counter is cumulative), where the sum overshoots and sbi leaves the next calls'
    /// epochs out: Sbi.Net counts the epochs it has sent instead.
    /// </summary>
    private void Summarize()
    {
        int round = Round + 1;
        Tracker.LogMetric(TrackerTags.EpochsTrained, Summary.EpochsTrained[^1], round);
        Tracker.LogMetric(TrackerTags.BestValidationLoss, Summary.BestValidationLoss[^1], round);
        int offset = _epochsTracked;
        for (int i = offset; i < Summary.ValidationLoss.Count; i++) Tracker.LogMetric(TrackerTags.ValidationLoss, Summary.ValidationLoss[i], i);
        for (int i = offset; i < Summary.TrainingLoss.Count; i++) Tracker.LogMetric(TrackerTags.TrainingLoss, Summary.TrainingLoss[i], i);
        for (int i = offset; i < Summary.EpochDurationsSec.Count; i++) Tracker.LogMetric(TrackerTags.EpochDurationsSec, Summary.EpochDurationsSec[i], i);
        _epochsTracked = Summary.ValidationLoss.Count;
        Tracker.Flush();
    }

    private void CheckSettings(TrainingSettings s)
    {
        Guard.Positive(s.TrainingBatchSize, nameof(s.TrainingBatchSize));
        Guard.Positive(s.LearningRate, nameof(s.LearningRate));
        if (!(s.ValidationFraction > 0 && s.ValidationFraction < 1))
            throw new ArgumentOutOfRangeException("validationFraction", s.ValidationFraction, $"validationFraction must lie strictly between 0 and 1; got {s.ValidationFraction}.");
        Guard.Positive(s.StopAfterEpochs, nameof(s.StopAfterEpochs));
        Guard.Positive(s.MaxNumEpochs, nameof(s.MaxNumEpochs));
        if (s.ClipMaxNorm is { } c) Guard.Positive(c, nameof(s.ClipMaxNorm));
        if (_blocks.Count == 0) throw new InvalidOperationException("Train was called before AppendSimulations: there is no data to train on.");
        if (s.ResumeTraining && _optimizer is null) throw new InvalidOperationException("resumeTraining needs an earlier Train call to resume.");
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
    /// Binds the training kernel of the estimator's family to the network and the optimiser's gradient buffers when
    /// the configuration allows it. Masked MADE weights are zeroed again (a resumed call may follow a weight load)
    /// since the kernels multiply by the raw weights; the optimiser already masks their gradients.
    /// </summary>
    private void BindKernel()
    {
        _kernel?.Dispose();
        _kernel = null;
        TrainingBackend = TrainingBackend.Autograd;
        if (!UseFusedCpuKernels) { TrainingBackendReason = "fused kernels disabled"; return; }
        var name = _network!.Config.Estimator;
        string reason = $"'{name}' is not a registered family";
        if (EstimatorFamilies.Contains(name)) _kernel = EstimatorFamilies.Get(name).TryCreateTrainingKernel(_network, out reason);
        if (_kernel is null) { TrainingBackendReason = reason; return; }
        using (no_grad())
            foreach (var l in _network.modules().OfType<Sbi.Nn.MaskedLinear>()) l.Weight.mul_(l.Mask);
        TrainingBackend = TrainingBackend.FusedCpuKernel;
        TrainingBackendReason = $"the '{name}' family's training kernel";
    }

    /// <summary>log q(θ_i | x_i) of a batch through the kernel (keeping its activations for the backward pass).</summary>
    private Tensor KernelLogProb(Tensor theta, Tensor x)
    {
        using var _ = no_grad();
        return _kernel!.LogProb(theta, _network!.Embed(x));
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

    /// <summary>Lets the loaders of the coming training (call index = trainings so far) replay the schedule's orders.</summary>
    private void BindSchedule()
    {
        if (Schedule is null) return;
        int call = Summary.EpochsTrained.Count;
        _trainLoader!.OrderSource = Schedule.Orders(call, true, _trainLoader.Indices);
        _valLoader!.OrderSource = Schedule.Orders(call, false, _valLoader.Indices);
    }

    /// <summary>sbi's convergence check (sbi/inference/trainers/base.py, <c>_converged</c>), run before every epoch.</summary>
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

    /// <summary>Per-row losses of a batch: the method's loss of its log q, times the calibration kernel; non-finite losses stop training.</summary>
    private Tensor Losses(SimulationLoader loader, (Tensor Theta, Tensor X, Tensor Mask, Tensor Index) batch, RowLoss loss,
                          Func<Tensor, Tensor>? kernel, Tensor? logProb = null)
    {
        var (theta, x, _, idx) = batch;
        var lp = logProb ?? _network!.LogProbPaired(theta, x);
        var losses = loss.Losses(lp, new LossBatch(theta, x, idx, loader));
        if (!losses.isfinite().all().item<bool>())
            throw new NonFiniteLossException(_epoch + 1);
        return kernel is null ? losses : kernel(x).to(losses.device).reshape(-1) * losses;
    }

    private double TrainEpoch(RowLoss loss, Func<Tensor, Tensor>? kernel, double? clip, CancellationToken ct)
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
            if (_kernel is null)
            {
                losses = Losses(_trainLoader, batch, loss, kernel);
                losses.mean().backward();
            }
            else
            {
                // The loss is a function of the log-probs only: autograd gives ∂L/∂log q_i on a leaf, the kernel the rest.
                var lp = KernelLogProb(batch.Theta, batch.X).requires_grad_(true);
                losses = Losses(_trainLoader, batch, loss, kernel, lp);
                losses.mean().backward();
                _kernel.Backward(lp.grad!);
            }
            if (clip is { } c) _optimizer.ClipGradNorm(c);
            _optimizer.Step();
            sum.AddInPlace(losses.detach().sum());
            batch.Theta.Dispose(); batch.X.Dispose(); batch.Mask.Dispose();
        }
        return sum.item<double>() / (_trainLoader.Count * _trainLoader.BatchSize);
    }

    private double ValidationLoss(RowLoss loss, Func<Tensor, Tensor>? kernel)
    {
        _network!.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sum = zeros(1, dtype: ScalarType.Float64, device: Device);
        foreach (var batch in _valLoader!.IndexedBatches())
            sum.AddInPlace(Losses(_valLoader, batch, loss, kernel, _kernel is null ? null : KernelLogProb(batch.Theta, batch.X)).sum());
        return sum.item<double>() / (_valLoader.Count * _valLoader.BatchSize);
    }

    /// <summary>
    /// sbi's <c>get_dataloaders</c> (sbi/inference/trainers/base.py): the training and validation batch sources over the
    /// simulations of rounds ≥ <paramref name="startingRound"/>. Unless <paramref name="resumeTraining"/>, a fresh random
    /// split is drawn first (⌊(1 − validationFraction)·N⌋ training rows, the rest validation) and kept for later calls;
    /// both loaders yield full batches of min(<paramref name="trainingBatchSize"/>, their rows) in a fresh random order
    /// per pass. <c>Train</c> calls this itself; calling it with <paramref name="resumeTraining"/> false replaces the split
    /// the next resumed training would use.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive batch size, or a validation fraction outside (0, 1).</exception>
    /// <exception cref="ArgumentException">Too few rows for both sets.</exception>
    /// <exception cref="InvalidOperationException">No simulations, or <paramref name="resumeTraining"/> without an earlier split.</exception>
    public (SimulationLoader Train, SimulationLoader Validation) GetDataloaders(int startingRound = 0, int trainingBatchSize = 200,
        double validationFraction = 0.1, bool resumeTraining = false)
    {
        Guard.Positive(trainingBatchSize, nameof(trainingBatchSize));
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"validationFraction must lie strictly between 0 and 1; got {validationFraction}.");
        var (theta, x, masks) = GetSimulations(startingRound);
        return MakeLoaders(theta, x, masks, startingRound, trainingBatchSize, validationFraction, resumeTraining);
    }

    private (SimulationLoader Train, SimulationLoader Validation) MakeLoaders(Tensor theta, Tensor x, Tensor masks, int startingRound,
        int trainingBatchSize, double validationFraction, bool resumeTraining)
    {
        if (!resumeTraining) MakeSplit(theta, x, masks, trainingBatchSize, validationFraction);
        else
        {
            if (_trainIndices is null || _valIndices is null)
                throw new InvalidOperationException("resumeTraining needs the split of an earlier Train or GetDataloaders call; there is none yet.");
            long n = theta.shape[0];
            using (NewDisposeScope())
                if (_trainIndices.max().item<long>() >= n || _valIndices.max().item<long>() >= n)
                    throw new InvalidOperationException($"the stored split indexes rows beyond the {n} simulations of rounds ≥ {startingRound}; resume with the startingRound it was made for.");
            // sbi takes min(batch size, ⌊(1 − f)·N⌋) of the current data; the stored subsets' own sizes are the same
            // unless simulations were appended since, where they keep a batch from outgrowing its subset.
            _trainLoader = new SimulationLoader(theta, x, masks, _trainIndices, Math.Min(trainingBatchSize, _trainIndices.shape[0]), Device);
            _valLoader = new SimulationLoader(theta, x, masks, _valIndices, Math.Min(trainingBatchSize, _valIndices.shape[0]), Device);
            BindSchedule();
        }
        return (_trainLoader!, _valLoader!);
    }
}
