using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors;
using Sbi.Potentials;
using Sbi.Tracking;
using Sbi.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// sbi's <c>PosteriorEstimatorTrainer</c> (sbi/inference/trainers/npe/npe_base.py): neural posterior estimation over
/// rounds. Round 0 trains on −log q(θ | x); the rounds after it on the method's proposal-corrected loss
/// (<see cref="LaterRoundLoss"/>), which is all a variant (NPE-A, NPE-B, NPE-C) defines. Proposals are the prior or any
/// <see cref="IPosterior"/> with a default x; <see cref="BuildPosterior(ConditionalDensityEstimator?, IDistribution?, int)"/> returns sbi's default, the
/// <see cref="DirectPosterior"/>.
/// </summary>
public abstract partial class NpeBase : NeuralInference
{
    /// <summary>The trainer with a density-estimator builder; tracking and logging as <see cref="NeuralInference"/>'s.</summary>
    protected NpeBase(IDistribution? prior, DensityEstimatorBuilder densityEstimator, string device, bool showProgressBars, ILogger? logger,
                      ITracker? tracker = null, SummaryWriter? summaryWriter = null, LoggingLevel? loggingLevel = null)
        : base(prior, densityEstimator, device, showProgressBars, logger, tracker, summaryWriter, loggingLevel) { }

    /// <summary>
    /// Stores simulations (θ (n, D), x (n, *x_shape)) with the proposal they were drawn from. Round 0 when
    /// <paramref name="proposal"/> is null or the prior object itself; else the next round. Invalid x rows (NaN/±inf)
    /// are dropped when <paramref name="excludeInvalidX"/> (default: true in round 0, false later).
    /// Deviation from sbi: a round-0 block appended without a proposal counts as drawn from the prior in later rounds
    /// (sbi crashes there).
    /// </summary>
    public NpeBase AppendSimulations(Tensor theta, Tensor x, IDensity? proposal = null, bool? excludeInvalidX = null, string? dataDevice = null)
    {
        int round = RoundOf(proposal);
        CheckProposal(proposal);
        StoreSimulations(theta, x, proposal, round, excludeInvalidX ?? round == 0, dataDevice);
        return this;
    }

    private int RoundOf(IDensity? proposal)
    {
        if (proposal is null || ReferenceEquals(proposal, Prior)) return 0;
        return Blocks.Count == 0 ? 1 : Blocks.Max(b => b.Round) + 1;
    }

    private void CheckProposal(IDensity? proposal)
    {
        if ((Prior is null || PriorIsEmpirical) && proposal is not null)
            throw new ArgumentException("a proposal was given but the trainer has no prior; multi-round NPE needs a prior.", nameof(proposal));
        if (proposal is IPosterior posterior)
        {
            if (posterior.DefaultX is null)
                throw new ArgumentException("the proposal posterior has no default x: call SetDefaultX(x_o) on it first.", nameof(proposal));
            if (Network is not null && posterior.Potential is PosteriorBasedPotential p && ReferenceEquals(p.PosteriorEstimator, Network))
                throw new ArgumentException("the proposal's estimator is the trainer's live network; build proposals with BuildPosterior, which copies it.", nameof(proposal));
            if (ProposalRefusal(posterior) is { } refusal) throw new ArgumentException(refusal, nameof(proposal));
        }
        else if (proposal is not null && !ReferenceEquals(proposal, Prior))
        {
            Logger.LogWarning(LogEvents.Simulations, "The proposal is neither the prior nor a posterior; it is used as the density it is.");
        }
        if (proposal is null && Round > 0)
            throw new ArgumentException("proposal is null after multi-round training: pass the proposal the simulations were drawn from.", nameof(proposal));
    }

    /// <summary>
    /// Why this method cannot train on simulations drawn from <paramref name="proposal"/>, or null when it can (the
    /// default). NPE-B refuses a posterior whose LogProb is unnormalised (<see cref="IPosterior.IsNormalized"/>).
    /// </summary>
    protected virtual string? ProposalRefusal(IPosterior proposal) => null;

    /// <summary>
    /// Trains the density estimator on the stored simulations with sbi's defaults and rules (sbi's
    /// <c>PosteriorEstimatorTrainer.train</c>): the training loop of <see cref="NeuralInference"/> on −log q in round 0
    /// (or with <paramref name="forceFirstRoundLoss"/>), on <see cref="LaterRoundLoss"/> after it. Returns the live network.
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
    /// <param name="showTrainSummary">Print sbi's round summary (epochs trained, best validation loss) after training.</param>
    /// <param name="progress">Told after every epoch: round, epoch, training and validation loss, best validation loss so far,
    /// the epoch's seconds and the seconds since this call began (<see cref="EpochInfo"/>), on the training thread. It
    /// replaces nothing: <c>showProgressBars</c> still decides whether the console line is drawn.</param>
    /// <param name="cancellationToken">Stops training between batches (best weights are restored).</param>
    public ConditionalDensityEstimator Train(int trainingBatchSize = 200, double learningRate = 5e-4, double validationFraction = 0.1,
        int stopAfterEpochs = 20, int maxNumEpochs = int.MaxValue, double? clipMaxNorm = 5.0, Func<Tensor, Tensor>? calibrationKernel = null,
        bool resumeTraining = false, bool forceFirstRoundLoss = false, bool discardPriorSamples = false, bool retrainFromScratch = false,
        bool showTrainSummary = false, IProgress<EpochInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Blocks.Count == 0) throw new InvalidOperationException("Train was called before AppendSimulations: there is no data to train on.");
        Round = Blocks.Max(b => b.Round);
        if (Round == 0 && HasNetwork && !forceFirstRoundLoss && !resumeTraining)
            throw new InvalidOperationException("The network was already trained on round-0 data. Pass forceFirstRoundLoss: true to train again with the " +
                                                "first-round loss, or resumeTraining: true to continue.");
        var settings = new TrainingSettings
        {
            TrainingBatchSize = trainingBatchSize, LearningRate = learningRate, ValidationFraction = validationFraction,
            StopAfterEpochs = stopAfterEpochs, MaxNumEpochs = maxNumEpochs, ClipMaxNorm = clipMaxNorm, CalibrationKernel = calibrationKernel,
            ResumeTraining = resumeTraining, RetrainFromScratch = retrainFromScratch, ShowTrainSummary = showTrainSummary,
            StartingRound = discardPriorSamples && Round > 0 ? 1 : 0, Progress = progress,
            CancellationToken = cancellationToken,
        };
        bool firstRoundLoss = Round == 0 || forceFirstRoundLoss;
        var proposals = Blocks.Select(b => b.Proposal).ToList();
        var counts = Blocks.Select(b => b.Count).ToList();
        return RunTraining(settings, theta => firstRoundLoss ? new NegativeLogProbLoss() : LaterRoundLoss(theta, Prior!, proposals, counts));
    }

    /// <summary>
    /// The method's loss for rounds after the first, for this call's training rows θ (stored order): sbi's
    /// <c>_log_prob_proposal_posterior</c>. <paramref name="proposals"/> holds one entry per appended block (null: the
    /// prior), <paramref name="counts"/> its row count.
    /// </summary>
    protected abstract RowLoss LaterRoundLoss(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts);

    /// <summary>
    /// Builds a <see cref="DirectPosterior"/> over a copy of the estimator (the trained network by default), so the
    /// posterior stays frozen while training continues.
    /// </summary>
    public DirectPosterior BuildPosterior(ConditionalDensityEstimator? densityEstimator = null, IDistribution? prior = null, int maxSamplingBatchSize = 10_000)
    {
        var p = prior ?? Prior ?? throw new InvalidOperationException("BuildPosterior needs a prior: none was given to the trainer or here.");
        var source = densityEstimator ?? Network ?? throw new InvalidOperationException("BuildPosterior needs a trained network: call Train first or pass one.");
        var copy = CopyEstimator(source);
        LastPosterior = new DirectPosterior(copy, p, maxSamplingBatchSize, logger: Logger);
        return LastPosterior;
    }

    /// <summary>The posterior built last.</summary>
    public DirectPosterior? LastPosterior { get; private set; }
}
