using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Bench;

/// <summary>The estimator <see cref="PosteriorBench.Train"/> trained, with its training figures.</summary>
/// <param name="Estimator">The trained posterior estimator (shared by every method's posterior; it is not trained further).</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="Seconds">Training wall time.</param>
/// <param name="Backend">Which gradient path trained it, and why.</param>
public sealed record PosteriorBenchEstimator(ConditionalDensityEstimator Estimator, int Epochs, double Seconds, string Backend);

/// <summary>
/// The posterior benchmark behind <c>sbi-net bench posteriors</c>: on the Gaussian linear task
/// (<see cref="GaussianLinearTask"/>) one estimator is trained once, then every method's posterior is built with
/// <see cref="PosteriorBuilder.Build"/> (sbi's <c>build_posterior</c>) and timed for its sample count, and its samples
/// are compared with exact posterior draws by C2ST. python/bench_posteriors_sbi.py does the same with sbi's posterior
/// classes on the same weights (<see cref="PosteriorBenchFolder"/>). Not a unit test: run it on a quiet machine.
/// </summary>
public static class PosteriorBench
{
    /// <summary>
    /// Fewest samples a C2ST is computed on: with n per side the accuracy's standard error is at most
    /// 0.5/√(2n), 0.035 at n = 100, below which the score says little.
    /// </summary>
    public const int MinimumC2stSamples = 100;

    /// <summary>Weights drawn for the importance diagnostics (sbi's default for the normalisation-constant estimate).</summary>
    public const int ImportanceDiagnosticWeights = 10_000;

    /// <summary>The seed offset of the exact posterior draws, so they are independent of the task's and the methods' draws.</summary>
    public const int AnalyticSeedOffset = 1;

    /// <summary>Trains the estimator on the task's simulations, with sbi's defaults (as <c>bench train</c>).</summary>
    public static PosteriorBenchEstimator Train(GaussianLinearTask task, PosteriorBenchSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        var npe = new NpeB(task.Prior, settings.Estimator, showProgressBars: false, loggingLevel: "WARNING");
        var clock = Stopwatch.StartNew();
        var estimator = npe.AppendSimulations(task.Theta, task.X).Train(maxNumEpochs: settings.MaxEpochs, cancellationToken: cancellationToken);
        estimator.eval();
        return new PosteriorBenchEstimator(estimator, npe.Summary.EpochsTrained[^1], clock.Elapsed.TotalSeconds,
                                           $"{npe.TrainingBackend} ({npe.TrainingBackendReason})");
    }

    /// <summary>
    /// First-call costs (JIT, allocations) of the estimator's sampling and density paths, outside every timing: 1,000
    /// direct samples and their log-densities. python/bench_posteriors_sbi.py warms sbi up the same way.
    /// </summary>
    public static void WarmUp(GaussianLinearTask task, ConditionalDensityEstimator estimator)
    {
        using var scope = NewDisposeScope();
        var posterior = (DirectPosterior)PosteriorBuilder.Build(estimator, task.Prior, "direct");
        var s = posterior.Sample(1000, task.XO);
        posterior.LogProb(s, task.XO, normPosterior: false);
    }

    /// <summary>
    /// The fitted proposal of the <see cref="PosteriorBenchSettings.FittedSuffix"/> methods: a Gaussian with the mean and
    /// <see cref="PosteriorBenchSettings.FittedProposalInflation"/> times the covariance (both in float64) of
    /// <see cref="PosteriorBenchSettings.FittedProposalSamples"/> direct posterior samples at x_o, drawn after
    /// <c>manual_seed(seed + <see cref="FittedProposalSeedOffset"/>)</c>, outside every timing (an input of those methods, as
    /// the prior is of the others). python/bench_posteriors_sbi.py builds the same Gaussian from settings.json.
    /// </summary>
    public static (Tensor Mean, Tensor Covariance) FitProposal(GaussianLinearTask task, ConditionalDensityEstimator estimator, int seed)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(estimator);
        manual_seed(seed + FittedProposalSeedOffset);
        using var scope = NewDisposeScope();
        var direct = (DirectPosterior)PosteriorBuilder.Build(estimator, task.Prior, "direct");
        var s = direct.Sample(PosteriorBenchSettings.FittedProposalSamples, task.XO).to(ScalarType.Float64);
        var mean = s.mean([0]);
        using TorchSharp.Scalar inflation = PosteriorBenchSettings.FittedProposalInflation;
        var covariance = s.t().cov().mul(inflation);   // torch.cov: the unbiased (n − 1) estimate
        return (mean.to(ScalarType.Float32).MoveToOuterDisposeScope(), covariance.to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    /// <summary>The seed offset of the fitted proposal's direct samples.</summary>
    public const int FittedProposalSeedOffset = 2;

    /// <summary>
    /// Builds <paramref name="method"/>'s posterior, times its samples at x_o (after <c>manual_seed(settings.Seed)</c>)
    /// and computes its diagnostics and the C2ST against <paramref name="analytic"/> (exact posterior draws). A method
    /// that fails gives a row with <see cref="PosteriorBenchRow.Failure"/> and no samples; cancellation propagates.
    /// </summary>
    public static (PosteriorBenchRow Row, Tensor? Samples) RunMethod(GaussianLinearTask task, ConditionalDensityEstimator estimator,
        PosteriorBenchSettings settings, string method, Tensor analytic, IProgress<McmcProgress>? progress = null,
        ILogger? logger = null, CancellationToken cancellationToken = default, IDistribution? fittedProposal = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(analytic);
        int n = settings.SamplesFor(method);
        string sampleWith = PosteriorBenchSettings.SampleWithOf(method);
        manual_seed(settings.Seed);
        using var scope = NewDisposeScope();
        PosteriorBenchRow row;
        Tensor samples;
        try
        {
            var posterior = PosteriorBenchSettings.UsesFittedProposal(method)
                ? WithProposal(estimator, task.Prior, settings.ParametersFor(method),
                               fittedProposal ?? throw new ArgumentNullException(nameof(fittedProposal), $"{method} needs the fitted proposal"), logger)
                : PosteriorBuilder.Build(estimator, task.Prior, sampleWith, settings.ParametersFor(method), logger);
            posterior.SetDefaultX(task.XO);
            var clock = Stopwatch.StartNew();
            switch (posterior)
            {
                case DirectPosterior direct:
                {
                    var (s, acceptance) = direct.SampleWithAcceptance(n);
                    samples = s;
                    row = new PosteriorBenchRow(method, n, s.shape[0], clock.Elapsed.TotalSeconds, null, Acceptance: acceptance);
                    break;
                }
                case RejectionPosterior rejection:
                {
                    try
                    {
                        var (s, acceptance, _) = rejection.SampleWithAcceptance(n, maxSamplingTime: TimeSpan.FromSeconds(settings.RejectionMaxSeconds),
                                                                                returnPartialOnTimeout: true);
                        samples = s;
                        double seconds = clock.Elapsed.TotalSeconds;
                        // The envelope search (sbi's gradient ascent) runs once per call, whatever n: a call for one
                        // sample, after the timed one, measures it, so the accept/reject loop's rate can be told apart.
                        double? envelope = null;
                        if (s.shape[0] == n)
                        {
                            var once = Stopwatch.StartNew();
                            rejection.SampleWithAcceptance(1, maxSamplingTime: TimeSpan.FromSeconds(settings.RejectionMaxSeconds)).Samples.Dispose();
                            envelope = once.Elapsed.TotalSeconds;
                        }
                        row = new PosteriorBenchRow(method, n, s.shape[0], seconds, null, Acceptance: acceptance, TimedOut: s.shape[0] < n,
                                                    EnvelopeSeconds: envelope);
                    }
                    catch (TimeoutException)
                    {
                        // Not one candidate accepted within the limit (sbi raises then too, partial or not).
                        samples = empty(0, task.Dim);
                        row = new PosteriorBenchRow(method, n, 0, clock.Elapsed.TotalSeconds, null, Acceptance: 0, TimedOut: true);
                    }
                    break;
                }
                case ImportanceSamplingPosterior importance:
                {
                    samples = importance.Sample(n);
                    double seconds = clock.Elapsed.TotalSeconds;
                    // SIR reports nothing of its weights; a fresh importance draw of the same posterior shows their quality.
                    var weighted = importance.ImportanceSample(ImportanceDiagnosticWeights);
                    row = new PosteriorBenchRow(method, n, samples.shape[0], seconds, null, EffectiveSampleSize: weighted.EffectiveSampleSize,
                                                ParetoK: weighted.ParetoK, WeightCount: ImportanceDiagnosticWeights);
                    break;
                }
                case VIPosterior vi:
                {
                    vi.Train(task.XO, nParticles: settings.ViParticles, maxNumIters: settings.ViIterations, warmUpRounds: settings.ViWarmUpRounds,
                             checkForConvergence: false, qualityControl: false, cancellationToken: cancellationToken);
                    double training = clock.Elapsed.TotalSeconds;
                    samples = vi.Sample(n);
                    double seconds = clock.Elapsed.TotalSeconds;
                    // Quality outside the timing: PSIS Pareto-k̂ of p̃/q on sbi's 50,000 q draws.
                    row = new PosteriorBenchRow(method, n, samples.shape[0], seconds, null, ParetoK: vi.Evaluate("psis").Value,
                                                TrainingSeconds: training, Iterations: vi.TrainingSummary!.Iterations,
                                                WarmUpSteps: vi.TrainingSummary.WarmUpSteps);
                    break;
                }
                case McmcPosterior mcmc:
                {
                    samples = mcmc.Sample(n, null, progress, cancellationToken);
                    row = new PosteriorBenchRow(method, n, samples.shape[0], clock.Elapsed.TotalSeconds, null, Mcmc: mcmc.Diagnostics);
                    break;
                }
                default:
                    samples = posterior.Sample(n);
                    row = new PosteriorBenchRow(method, n, samples.shape[0], clock.Elapsed.TotalSeconds, null);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (new PosteriorBenchRow(method, n, 0, double.NaN, null, Failure: $"{e.GetType().Name}: {PlainMessage(e)}"), null);
        }
        row = row with { C2stAnalytic = C2st(samples, analytic, settings.C2stSamples, settings.Seed) };
        return (row, samples.MoveToOuterDisposeScope());
    }

    /// <summary>sbi's <c>RejectionPosterior</c> or <c>ImportanceSamplingPosterior</c> over the estimator's potential with <paramref name="proposal"/> in place of the prior.</summary>
    private static IPosterior WithProposal(ConditionalDensityEstimator estimator, IDistribution prior, PosteriorParameters parameters,
                                           IDistribution proposal, ILogger? logger)
    {
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(estimator, prior, null);
        return parameters switch
        {
            RejectionPosteriorParameters r => new RejectionPosterior(potential, proposal, transform, r, logger),
            ImportanceSamplingPosteriorParameters i => new ImportanceSamplingPosterior(potential, proposal, transform, i, logger),
            _ => throw new ArgumentException($"only rejection and importance take a proposal; got {parameters.SampleWith}", nameof(parameters)),
        };
    }

    /// <summary>
    /// C2ST (<see cref="Sbi.Metrics.C2st"/>, sbibm's definition, classifier seed 1) between up to <paramref name="cap"/>
    /// rows of each sample, the same number from both, picked by a permutation seeded with <paramref name="seed"/> (MCMC
    /// output is ordered by chain, so the first rows would come from few chains); null when either has fewer than
    /// <see cref="MinimumC2stSamples"/> rows.
    /// </summary>
    public static double? C2st(Tensor a, Tensor b, int cap, int seed)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        long m = Math.Min(cap, Math.Min(a.shape[0], b.shape[0]));
        if (m < MinimumC2stSamples) return null;
        using var scope = NewDisposeScope();
        return Sbi.Metrics.C2st.Score(Subset(a, m, seed), Subset(b, m, seed + 1), seed: 1);
    }

    private static Tensor Subset(Tensor t, long m, int seed)
    {
        var order = Enumerable.Range(0, (int)t.shape[0]).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        return t.index_select(0, tensor(order[..(int)m]));
    }

    /// <summary>The first line of the message, without .NET's " (Parameter 'name')" suffix.</summary>
    private static string PlainMessage(Exception e)
    {
        var text = e.Message.Split('\n', 2)[0].TrimEnd('\r');
        int cut = e is ArgumentException { ParamName: { } name } ? text.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal) : -1;
        return cut >= 0 ? text[..cut] : text;
    }
}
