using Microsoft.Extensions.Logging;
using TorchSharp;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Tracking;
using Sbi.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// NPE-B (sbi's <c>NPE_B</c>, sbi/inference/trainers/npe/npe_b.py; SNPE-B of Lueckmann et al. 2017): neural posterior
/// estimation whose later rounds minimise the importance-weighted loss ℓ_i = −w_i · log q(θ_i | x_i) with
/// w_i = p(θ_i) / Σ_k α_k q̃_k(θ_i) normalised to sum 1 over each batch (α_k = n_k / Σ n_j the share of block k).
/// Everything else is <see cref="NpeBase"/>'s. Typical use mirrors sbi:
/// <code>
/// var trainer = new NpeB(prior);
/// IDensity proposal = prior;
/// for (int r = 0; r &lt; rounds; r++) {
///     var theta = proposal is IPosterior p ? p.Sample(n) : prior.Sample(n);
///     var net = trainer.AppendSimulations(theta, simulator(theta), proposal).Train();
///     proposal = trainer.BuildPosterior(net).SetDefaultX(xo);
/// }
/// </code>
/// As in sbi the densities are exponentiated in linear space (float32), so batches whose mixture density underflows
/// produce non-finite weights and stop training with <see cref="NonFiniteLossException"/>.
/// </summary>
public sealed class NpeB : NpeBase
{
    private const long Chunk = 10_000;

    /// <summary>
    /// Creates the trainer with an estimator family by name ("maf" default, "nsf", "mdn", "made", or a registered one).
    /// <paramref name="tracker"/> (or sbi's older <paramref name="summaryWriter"/>, not both) receives the training
    /// statistics; with neither nothing is written to disk (<see cref="NeuralInference.DefaultTracker"/> gives sbi's
    /// ./sbi-logs/NPE_B/&lt;time&gt; when wanted). Warnings and information lines go to <paramref name="logger"/>
    /// (standard error when null; <see cref="Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance"/> silences them),
    /// those below <paramref name="loggingLevel"/> dropped: sbi's <c>logging_level</c> by Python's names or numbers
    /// (<c>"DEBUG"</c>, <c>"INFO"</c>, <c>"WARNING"</c>, <c>"ERROR"</c>, <c>"CRITICAL"</c>, 10–50; <c>"NONE"</c> drops all),
    /// or a <see cref="Microsoft.Extensions.Logging.LogLevel"/>. Null, the default, filters nothing beyond the logger's
    /// own level: sbi's default <c>"WARNING"</c> has no effect in sbi, which prints its information lines regardless.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="loggingLevel"/> is no level (the message lists the accepted ones).</exception>
    public NpeB(IDistribution? prior = null, string densityEstimator = "maf", string device = "cpu", bool showProgressBars = true, ILogger? logger = null,
                ITracker? tracker = null, SummaryWriter? summaryWriter = null, LoggingLevel? loggingLevel = null)
        : this(prior, PosteriorNn.Build(densityEstimator), device, showProgressBars, logger, tracker, summaryWriter, loggingLevel) { }

    /// <summary>Creates the trainer with a builder (see <see cref="PosteriorNn.Build(DensityEstimatorOptions)"/> or your own); tracking and logging as above.</summary>
    public NpeB(IDistribution? prior, DensityEstimatorBuilder densityEstimator, string device = "cpu", bool showProgressBars = true, ILogger? logger = null,
                ITracker? tracker = null, SummaryWriter? summaryWriter = null, LoggingLevel? loggingLevel = null)
        : base(prior, densityEstimator, device, showProgressBars, logger, tracker, summaryWriter, loggingLevel) { }

    /// <summary>sbi's class name, <c>NPE_B</c> (the folder of the default tracker).</summary>
    public override string MethodName => "NPE_B";

    /// <summary>Stores simulations (see <see cref="NpeBase.AppendSimulations"/>).</summary>
    public new NpeB AppendSimulations(Tensor theta, Tensor x, IDensity? proposal = null, bool? excludeInvalidX = null, string? dataDevice = null)
    {
        base.AppendSimulations(theta, x, proposal, excludeInvalidX, dataDevice);
        return this;
    }

    /// <summary>
    /// NPE-B's weights prior(θ)/Σ_k α_k q̃_k(θ) mix every round's proposal density, so each must be normalised: a density
    /// off by a constant (the MCMC and rejection posteriors' LogProb is the potential) weighs its round wrongly against
    /// the others. Any posterior with <see cref="Posteriors.IPosterior.IsNormalized"/> is accepted.
    /// </summary>
    protected override string? ProposalRefusal(Posteriors.IPosterior proposal) => proposal.IsNormalized ? null :
        $"the proposal is a {proposal.GetType().Name}, whose LogProb is unnormalised (IsNormalized is false). NPE-B weights each simulation by " +
        "prior(θ) / Σ_k α_k proposal_k(θ), a mixture over the rounds' proposal densities, so every proposal's density must be normalised; " +
        "an unnormalised one weighs its round by an unknown constant. Draw θ from it if you like, but pass a normalised proposal: a DirectPosterior " +
        "(BuildPosterior's default) or an ImportanceSamplingPosterior (its LogProb divides by a normalisation estimate).";

    /// <summary>NPE-B normalises its weights over each batch, so an invalid x kept in a later round would poison its whole batch.</summary>
    protected override string? InvalidSimulationsRefusal(int round) => round == 0 ? null :
        "NPE-B in rounds after the first does not allow invalid simulations (its importance weights are normalised over each batch); " +
        "pass excludeInvalidX: true to drop them, knowing results may be systematically wrong.";

    /// <inheritdoc/>
    protected override RowLoss LaterRoundLoss(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts) =>
        new ImportanceWeightedLoss(theta, prior, proposals, counts);

    /// <summary>
    /// The loss of one Train call: the prior and proposal-mixture log-densities of every stored row, evaluated once in
    /// chunks (proposals are frozen while a round trains), then the batch-normalised weights of each batch.
    /// </summary>
    private sealed class ImportanceWeightedLoss : RowLoss
    {
        private readonly Tensor _logPrior, _logMixture;

        public ImportanceWeightedLoss(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
        {
            var a = new List<Tensor>();
            var m = new List<Tensor>();
            using var scope = NewDisposeScope();
            for (long start = 0; start < theta.shape[0]; start += Chunk)
            {
                var (lp, lm) = LogDensities(theta.narrow(0, start, Math.Min(Chunk, theta.shape[0] - start)), prior, proposals, counts);
                a.Add(lp.to(theta.device));
                m.Add(lm.to(theta.device));
            }
            _logPrior = cat(a, 0).DetachFromDisposeScope();
            _logMixture = cat(m, 0).DetachFromDisposeScope();
        }

        public override Tensor Losses(Tensor logProb, LossBatch batch)
        {
            var w = WeightsFromLogDensities(batch.Loader.Gather(_logPrior, batch.Rows), batch.Loader.Gather(_logMixture, batch.Rows));
            return -(w * logProb);
        }

        public override void Dispose()
        {
            _logPrior.Dispose();
            _logMixture.Dispose();
            base.Dispose();
        }
    }

    /// <summary>
    /// The importance weights of a batch (sbi <c>NPE_B._log_prob_proposal_posterior</c>): prior log-density and the
    /// log-densities of every proposal (one per appended block, with its mixture coefficient α_k = n_k / Σ n_j).
    /// A proposal of null means the prior.
    /// </summary>
    public static Tensor ImportanceWeights(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        var (a, m) = LogDensities(theta, prior, proposals, counts);
        using (a)
        using (m)
            return WeightsFromLogDensities(a, m);
    }

    /// <summary>Per-row NPE-B loss ℓ_i = −w_i · log q(θ_i | x_i); gradients flow through the estimator only.</summary>
    public static Tensor Loss(ConditionalDensityEstimator estimator, Tensor theta, Tensor x, IDistribution prior,
                              IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        var w = ImportanceWeights(theta, prior, proposals, counts);
        return -(w * estimator.LogProbPaired(theta, x));
    }

    /// <summary>
    /// The batch-independent ingredients of the weights for every row: the prior log-density a_i and the log of the
    /// proposal mixture m_i = logsumexp_k(log α_k + log q̃_k(θ_i)).
    /// </summary>
    public static (Tensor LogPrior, Tensor LogMixture) LogDensities(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(prior);
        if (proposals.Count != counts.Count || proposals.Count == 0)
            throw new ArgumentException($"need one count per proposal; got {proposals.Count} proposals and {counts.Count} counts.", nameof(counts));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = LogProbOn(prior, theta);
        CheckLogProb(a, "prior");
        double total = counts.Sum();
        var cols = new Tensor[proposals.Count];
        for (int k = 0; k < proposals.Count; k++)
        {
            var lp = LogProbOn(proposals[k] ?? prior, theta).reshape(-1);
            CheckLogProb(lp, $"proposal {k}");
            // A double scalar: float32 columns add it rounded to float32 (as sbi), float64 columns exactly.
            using Scalar logAlpha = Math.Log(counts[k] / total);
            cols[k] = lp.Plus(logAlpha);
        }
        var m = stack(cols, 1).logsumexp(1);
        return (a.MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope());
    }

    /// <summary>Batch-normalised weights exp(a_i) / exp(m_i), divided by their sum (linear space, as sbi).</summary>
    public static Tensor WeightsFromLogDensities(Tensor logPrior, Tensor logMixture)
    {
        using var scope = NewDisposeScope();
        var w = logPrior.exp() / logMixture.exp();
        return (w / w.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>Evaluates a density where it lives (a prior may stay on the CPU while training runs on a GPU).</summary>
    private static Tensor LogProbOn(IDensity density, Tensor theta)
    {
        var t = density is IDistribution d && (d.Device.type != theta.device.type || d.Device.index != theta.device.index) ? theta.to(d.Device) : theta;
        return density.LogProb(t).to(theta.device);
    }

    private static void CheckLogProb(Tensor lp, string what)
    {
        // sbi asserts no NaN and no +inf (−inf is allowed: θ outside the support has weight 0).
        if (lp.isnan().any().item<bool>() || lp.isposinf().any().item<bool>())
            throw new InvalidOperationException($"the {what} log-density has NaN or +inf entries for this batch.");
    }
}
