using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers;
using Sbi.Testing;
using Sbi.Tests.Samplers;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>
/// sbi's <c>MCMCPosterior</c> (sbi/inference/posteriors/mcmc_posterior.py; sbi's tests/mcmc_test.py) over closed-form
/// potentials: q(θ | x) = N(θ; a·x + b, σ²I) (<see cref="GaussianEstimator"/>) under a box prior wide enough that the
/// truncation is negligible (the box edges lie more than 11 σ from the mean: mass outside below 10⁻²⁸) and under a
/// Gaussian prior, so the posterior is N(a·x + b, σ²I).
/// </summary>
public class McmcPosteriorTests
{
    internal static McmcPosterior Build(ConditionalDensityEstimator estimator, IDistribution prior, McmcPosteriorParameters parameters, ILogger? logger = null)
    {
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(estimator, prior, null);
        return new McmcPosterior(potential, prior, transform, parameters, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// The samples as chains (n = chains·K: the returned rows are the chains' kept draws, chain after chain) and their
    /// mean and E[θ²] per dimension within <see cref="Tolerances.MonteCarloZ"/> standard errors sd/√ESS of N(μ, σ²)
    /// (<see cref="KnownTargets.AssertMoments(double[], int, int, int, double[], double[], double[], double[], string)"/>).
    /// </summary>
    internal static void AssertNormalSamples(Tensor samples, int chains, double[] mu, double sigma, string what)
    {
        int d = mu.Length, n = (int)samples.shape[0];
        Assert.That(n % chains, Is.Zero, "the test asks for a multiple of the chains");
        var draws = samples.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var (mean, sd, second, secondSd) = KnownTargets.NormalMoments(mu, Enumerable.Repeat(sigma, d).ToArray());
        KnownTargets.AssertMoments(draws, chains, n / chains, d, mean, sd, second, secondSd, what);
    }

    /// <summary>
    /// Converged chains: every dimension's split-R̂ within <see cref="Tolerances.ConvergedSplitRhat"/> for its bulk ESS
    /// (split chains = 2·chains), and the diagnostics describe the run (chains, kept draws per chain).
    /// </summary>
    internal static void AssertConverged(McmcDiagnostics? diagnostics, int chains, int drawsPerChain)
    {
        Assert.That(diagnostics, Is.Not.Null, "Sample stores the diagnostics");
        Assert.That((diagnostics!.NumChains, diagnostics.DrawsPerChain), Is.EqualTo((chains, drawsPerChain)));
        for (int j = 0; j < diagnostics.SplitRhat.Length; j++)
        {
            double bound = Tolerances.ConvergedSplitRhat(2 * chains, diagnostics.BulkEss[j] / (2 * chains));
            Assert.That(diagnostics.SplitRhat[j], Is.LessThanOrEqualTo(bound), $"R̂ of parameter {j} (bulk ESS {diagnostics.BulkEss[j]:F0})");
        }
    }

    /// <summary>
    /// Each sampler on the box prior [−5, 5]² (logit transform) at x = 0.3, posterior N(0.8, 0.5²I): moments within
    /// Monte-Carlo error, every sample inside the support, R̂ of converged chains; hmc and nuts run
    /// through HmcKernel and NutsKernel.
    /// </summary>
    [TestCase("slice_np_vectorized", 20, 4000)]
    [TestCase("slice_np", 4, 1000)]
    [TestCase("hmc", 4, 1000)]
    [TestCase("nuts", 4, 1000)]
    public void SamplesTheAnalyticPosteriorUnderABoxPrior(string method, int chains, int n)
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5, -5 }, new float[] { 5, 5 });
        var post = Build(new GaussianEstimator(2, 1, a: 1, b: 0.5, sigma: 0.5), prior, new McmcPosteriorParameters(method: method, numChains: chains, seed: 40));
        var samples = post.Sample(n, tensor(new float[] { 0.3f }));
        Assert.That(samples.shape, Is.EqualTo(new long[] { n, 2 }));
        Assert.That(prior.WithinSupport(samples).all().item<bool>(), "every sample inside the box");
        AssertNormalSamples(samples, chains, [0.8, 0.8], 0.5, method);
        AssertConverged(post.Diagnostics, chains, n / chains);
    }

    /// <summary>The same under a Gaussian prior N(0, 2²I) (z-scoring transform): posterior N(1.5, 0.5²I) at x = 1 with b = 0.5.</summary>
    [TestCase("slice_np_vectorized")]
    [TestCase("nuts")]
    public void SamplesTheAnalyticPosteriorUnderAGaussianPrior(string method)
    {
        using var scope = NewDisposeScope();
        using var prior = new MultivariateNormal(zeros(3), 4 * eye(3));
        var post = Build(new GaussianEstimator(3, 1, a: 1, b: 0.5, sigma: 0.5), prior, new McmcPosteriorParameters(method: method, numChains: 10, seed: 41));
        post.SetDefaultX(tensor(new float[] { 1f }));
        var samples = post.Sample(2000);
        AssertNormalSamples(samples, 10, [1.5, 1.5, 1.5], 0.5, method);
        AssertConverged(post.Diagnostics, 10, 200);
    }

    /// <summary>
    /// sbi's counts: with thin 3 and 4 chains, 50 samples take ⌈⌈50·3/4⌉/3⌉ = 13 kept draws per chain (52 rows, of which the
    /// first 50 are returned); a request for 52 with the same seed runs the same chains, so its first 50 rows are the
    /// 50 (the samples are the chains' kept draws concatenated chain after chain, cut to n).
    /// </summary>
    [Test]
    public void CountsAndThinningFollowSbi()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var p = new McmcPosteriorParameters(numChains: 4, thin: 3, warmupSteps: 10, seed: 42);
        var post = Build(new GaussianEstimator(1, 1, a: 1), prior, p);
        post.SetDefaultX(tensor(new float[] { 0f }));
        var fifty = post.Sample(50);
        Assert.That(fifty.shape, Is.EqualTo(new long[] { 50, 1 }));
        Assert.That(post.Diagnostics!.DrawsPerChain, Is.EqualTo(13));
        var fiftyTwo = post.Sample(52);
        Assert.That(post.Diagnostics!.DrawsPerChain, Is.EqualTo(13));
        Assert.That(fiftyTwo.narrow(0, 0, 50).eq(fifty).all().item<bool>(), "the same chains, cut later");
        Assert.That(McmcSchedule.Sbi(50, 4, new McmcKernelSettings().TuningSteps + 10 * 3, 3).TotalDraws, Is.EqualTo(50 + 30 + 12 * 3 + 1));
    }

    /// <summary>
    /// A seed fixes the samples bitwise, whatever NumWorkers: slice_np (4 blocks of one chain) and slice_np_vectorized
    /// with 45 chains (3 blocks of 15) give the same rows with 1 and 3 workers; another seed gives others; without a seed,
    /// torch's manual_seed fixes the run.
    /// </summary>
    [TestCase("slice_np", 4)]
    [TestCase("slice_np_vectorized", 45)]
    public void ASeedFixesTheSamplesWhateverTheWorkers(string method, int chains)
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -3, -3 }, new float[] { 3, 3 });
        var estimator = new GaussianEstimator(2, 1, a: 1, sigma: 0.7);
        var x = tensor(new float[] { 0.2f });
        Tensor Run(int workers, long? seed) =>
            Build(estimator, prior, new McmcPosteriorParameters(method: method, numChains: chains, numWorkers: workers, warmupSteps: 5, numCandidateSamples: 1000, seed: seed)).Sample(chains * 5, x);
        var one = Run(1, 7);
        Assert.That(Run(3, 7).eq(one).all().item<bool>(), "1 and 3 workers");
        Assert.That(Run(1, 8).eq(one).all().item<bool>(), Is.False, "another seed");
        manual_seed(3);
        var a = Run(2, null);
        manual_seed(3);
        Assert.That(Run(1, null).eq(a).all().item<bool>(), "manual_seed fixes an unseeded run");
    }

    /// <summary>
    /// The same on a trained MAF (the fixture maf_D2.npz), whose float32 potential runs through the fused density
    /// where the kernels can run: its work buffers are aligned so that a row's value does not depend on the worker
    /// thread (MKL's sgemm sums differently at other alignments), and the blocks never change composition.
    /// </summary>
    [TestCase("slice_np", 6)]
    [TestCase("slice_np_vectorized", 45)]
    public void AMafGivesTheSameSamplesWhateverTheWorkers(string method, int chains)
    {
        using var scope = NewDisposeScope();
        var direct = Fixtures.Load("direct_maf_D2.npz");
        var estimator = Fixtures.Load("maf_D2.npz").Estimator();
        using var prior = new BoxUniform(direct.T("prior_low"), direct.T("prior_high"));
        Tensor Run(int workers) =>
            Build(estimator, prior, new McmcPosteriorParameters(method: method, numChains: chains, numWorkers: workers, warmupSteps: 10,
                                                               numCandidateSamples: 500, seed: 55)).Sample(chains * 4, direct.T("x_o"));
        Assert.That(Run(3).eq(Run(1)).all().item<bool>(), "1 and 3 workers");
    }

    /// <summary>
    /// The init strategies (sbi/samplers/mcmc/init_strategy.py) with proposal N(0, 2²) and potential N(3, 0.5²): "sir"
    /// starts follow the potential, N(3, 0.5²); "resample" (weights exp(potential), no proposal correction) follows the
    /// product proposal·exp(potential), N(3·4/4.25, 0.25·4/4.25); "proposal" the proposal. 200 starts each: their mean
    /// within <see cref="Tolerances.MonteCarloZ"/>·sd/√200. SIR's selection from 10,000 candidates, of which ~660 lie
    /// within one potential sd of 3, has a bias of order 1/660 sd, far inside that.
    /// </summary>
    [TestCase("sir", 3.0, 0.5)]
    [TestCase("resample", 12 / 4.25, 0.48507)]
    [TestCase("proposal", 0.0, 2.0)]
    public void InitStrategiesDrawFromTheirDistributions(string strategy, double mean, double sd)
    {
        using var scope = NewDisposeScope();
        using var prior = new MultivariateNormal(zeros(1), 4 * eye(1));
        var potential = new ShiftedGaussianPotential([3.0], 0.5, 0);
        var identity = PotentialFactory.ThetaTransformOf(prior, enableTransform: false);
        const int chains = 200;
        var starts = McmcInit.Starts(strategy, chains, 10_000, seed: 43, prior, t => potential.Evaluate(t, false), identity, default);
        double m = starts.Average();
        Assert.That(Math.Abs(m - mean) / (sd / Math.Sqrt(chains)), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"mean of the '{strategy}' starts {m}");
        Assert.That(McmcInit.Starts(strategy, chains, 10_000, seed: 43, prior, t => potential.Evaluate(t, false), identity, default), Is.EqualTo(starts), "the seed fixes the starts");
    }

    /// <summary>Every strategy samples: the posterior's chains start where the strategy puts them and reach the posterior.</summary>
    [TestCase("sir")]
    [TestCase("resample")]
    [TestCase("proposal")]
    public void EachInitStrategyRuns(string strategy)
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var post = Build(new GaussianEstimator(1, 1, a: 1, sigma: 0.5), prior,
                         new McmcPosteriorParameters(initStrategy: strategy, numChains: 10, numCandidateSamples: 500, seed: 44));
        AssertNormalSamples(post.Sample(1000, tensor(new float[] { -1f })), 10, [-1.0], 0.5, strategy);
    }

    /// <summary>
    /// k iid trials (sbi's x_is_iid): the potential is Σᵢ log N(θ; xᵢ, σ²) − (k − 1)·log(1/100) under the box
    /// [−5, 5]², whose normalised form is N(mean of the xᵢ, σ²/k). k = 4 trials, σ = 0.8: N(0.25, 0.4²).
    /// </summary>
    [Test]
    public void IidTrialsSampleTheirJointPosterior()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5, -5 }, new float[] { 5, 5 });
        var post = Build(new GaussianEstimator(2, 1, a: 1, sigma: 0.8), prior, new McmcPosteriorParameters(numChains: 20, seed: 45));
        var x = tensor(new float[,] { { 0.5f }, { -0.3f }, { 1.1f }, { -0.3f } });
        post.SetDefaultX(x);
        Assert.That(post.DefaultX!.shape, Is.EqualTo(new long[] { 4, 1 }));
        AssertNormalSamples(post.Sample(2000), 20, [0.25, 0.25], 0.4, "iid");
    }

    /// <summary>sbi's log_prob: the potential, unnormalised, with a warning (once); IsNormalized is false.</summary>
    [Test]
    public void LogProbIsThePotentialAndWarnsOnce()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var log = new ListLogger();
        var post = Build(new GaussianEstimator(1, 1), prior, new McmcPosteriorParameters(), log);
        post.SetDefaultX(tensor(new float[] { 0f }));
        var theta = tensor(new float[,] { { 0.5f }, { 6f } });
        Assert.That(post.LogProb(theta).eq(post.Potential.Evaluate(theta, false)).all().item<bool>());
        post.LogProb(theta);
        Assert.That(log.Warnings.Count(w => w.Contains("unnormalised")), Is.EqualTo(1), string.Join("\n", log.Warnings));
        Assert.That(((IPosterior)post).IsNormalized, Is.False);
    }

    /// <summary>
    /// sbi's Pyro and PyMC names are accepted and run Sbi.Net's own samplers, with an info line saying so (once); a
    /// progress handler sees the run; a cancelled token stops it.
    /// </summary>
    [Test]
    public void MappedNamesProgressAndCancellation()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var log = new ListLogger();
        var post = Build(new GaussianEstimator(1, 1), prior, new McmcPosteriorParameters(method: "slice_pymc", numChains: 4, seed: 46),
                         log);
        post.SetDefaultX(tensor(new float[] { 0f }));
        var reports = new List<McmcProgress>();
        post.Sample(100, null, new Progress(reports.Add));
        post.Sample(100);
        Assert.That(log.Infos.Count(l => l.Contains("slice_pymc") && l.Contains("PyMC") && l.Contains("slice_np_vectorized")), Is.EqualTo(1), string.Join("\n", log.Infos));
        Assert.That(reports, Is.Not.Empty);
        Assert.That(reports[^1].DrawsDone, Is.EqualTo(reports[^1].DrawsTotal));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.That(() => post.Sample(100, null, null, cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    /// <summary>Bad input: n, non-finite x, x of the wrong shape, a prior without a usable transform.</summary>
    [Test]
    public void BadInputIsRefusedByName()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var post = Build(new GaussianEstimator(1, 1), prior, new McmcPosteriorParameters(numChains: 2, seed: 47));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => post.Sample(0, tensor(new float[] { 0f })))!.ParamName, Is.EqualTo("n"));
        Assert.That(Assert.Throws<ArgumentException>(() => post.Sample(10, tensor(new float[] { float.NaN })))!.ParamName, Is.EqualTo("x"));
        Assert.That(Assert.Throws<ArgumentException>(() => post.SetDefaultX(tensor(new float[] { float.PositiveInfinity })))!.ParamName, Is.EqualTo("x"));
        var shape = Assert.Throws<ArgumentException>(() => post.Sample(10, zeros(2)))!;
        Assert.That(shape.ParamName, Is.EqualTo("x"));
        Assert.That(shape.Message, Does.Contain("got (2)").And.Contain("iid"));
        Assert.That(() => post.Sample(10), Throws.InvalidOperationException.With.Message.Contains("SetDefaultX"));

        var noScale = new DegeneratePrior();
        var e = Assert.Throws<ArgumentException>(() => new McmcPosterior(new ShiftedGaussianPotential([0.0], 1, 0), noScale, null))!;
        Assert.That(e.ParamName, Is.EqualTo("thetaTransform"));
        Assert.That(e.Message, Does.Contain("DegeneratePrior").And.Contain("ThetaTransform"));
    }

    /// <summary>
    /// A potential that is −∞ everywhere: "sir" and "resample" find no candidate with mass (the error names the strategy),
    /// and "proposal" starts where no chain can move (the error says so and what to use instead).
    /// </summary>
    [TestCase("sir")]
    [TestCase("resample")]
    [TestCase("proposal")]
    public void APotentialWithoutMassIsAnError(string strategy)
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var post = new McmcPosterior(new ConstantPotential(double.NegativeInfinity), prior, null,
                                     new McmcPosteriorParameters(initStrategy: strategy, numChains: 2, numCandidateSamples: 100, seed: 48), NullLogger.Instance);
        var e = Assert.Throws<InvalidOperationException>(() => post.Sample(10, zeros(1)))!;
        Assert.That(e.Message, Does.Contain($"'{strategy}'"));
        Assert.That(e.Message, strategy == "proposal" ? Does.Contain("cannot move").And.Contain("'sir'") : Does.Contain("no candidate with mass"));
    }

    /// <summary>
    /// Chains that never move: a potential of mass only at θ = 2 exactly (a spike; the identity transform maps it to z = 2)
    /// and a N(0, 1) body on θ &lt; 1. Chains started on the spike stay there: with all of them there Sample fails; with
    /// two of four, it warns and names them.
    /// </summary>
    [Test]
    public void StuckChainsAreWarnedAboutOrAnError()
    {
        using var scope = NewDisposeScope();
        var identity = new AffineBijector(zeros(1), ones(1));
        var potential = new SpikePotential();
        var stuck = new McmcPosterior(potential, new FixedStarts([2f, 2f]), identity,
                                      new McmcPosteriorParameters(initStrategy: "proposal", numChains: 2, warmupSteps: 5, seed: 49), NullLogger.Instance);
        var all = Assert.Throws<InvalidOperationException>(() => stuck.Sample(20, zeros(1)))!;
        Assert.That(all.Message, Does.Contain("every one of the 2 chains stayed at its start"));

        var log = new ListLogger();
        var some = new McmcPosterior(potential, new FixedStarts([2f, 0.3f, 2f, -0.2f]), identity,
                                     new McmcPosteriorParameters(initStrategy: "proposal", numChains: 4, warmupSteps: 5, seed: 50),
                                     log);
        Assert.That(some.Sample(40, zeros(1)).shape, Is.EqualTo(new long[] { 40, 1 }));
        Assert.That(log.Warnings.Any(w => w.Contains("2 of 4 chains never moved") && w.Contains("chains 0, 2")), string.Join("\n", log.Warnings));
    }

    /// <summary>
    /// Chains that have not mixed: two modes N(±4, 0.3²) 27 sds apart (density between them below e⁻⁸⁰), chains
    /// started two in each; none crosses, so the chains' means differ by 8 while their sds are 0.3 and split-R̂ is about
    /// 13, far above 1.01: Sample warns, naming the threshold and what to do.
    /// </summary>
    [Test]
    public void UnmixedChainsAreWarnedAbout()
    {
        using var scope = NewDisposeScope();
        var log = new ListLogger();
        var post = new McmcPosterior(new TwoModes(), new FixedStarts([-4f, 4f, -4f, 4f]), new AffineBijector(zeros(1), ones(1)),
                                     new McmcPosteriorParameters(initStrategy: "proposal", numChains: 4, warmupSteps: 10, seed: 56),
                                     log);
        post.Sample(400, zeros(1));
        Assert.That(post.Diagnostics!.MaxSplitRhat, Is.GreaterThan(McmcPosterior.RhatThreshold));
        Assert.That(log.Warnings.Any(w => w.Contains("split-R̂") && w.Contains("1.01") && w.Contains("WarmupSteps") && w.Contains("NumChains")),
                    string.Join("\n", log.Warnings));
    }

    /// <summary>
    /// Past MaxSamplingSeconds the run stops with a TimeoutException that says how far the chains got and what to
    /// change. 10⁷ samples from 20 chains would take minutes; the clock is read every 20 ms and the chains stop within a
    /// step (milliseconds): a 5 s margin covers it.
    /// </summary>
    [Test]
    public void TheTimeLimitStopsSampling()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -5 }, new float[] { 5 });
        var post = Build(new GaussianEstimator(1, 1), prior, new McmcPosteriorParameters(initStrategy: "proposal", maxSamplingSeconds: 0.5, seed: 51));
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<TimeoutException>(() => post.Sample(10_000_000, zeros(1)))!;
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5.5)));
        Assert.That(e.Message, Does.Contain("draws per chain").And.Contain("MaxSamplingSeconds"));
    }

    /// <summary>PosteriorBuilder and the trainer build "mcmc" (over a copy of the trained network, as for the other kinds).</summary>
    [Test]
    public void TheBuilderAndTheTrainerBuildMcmc()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var estimator = new GaussianEstimator(2, 1);
        var p = new McmcPosteriorParameters(numChains: 3, thin: 2);
        var built = (McmcPosterior)PosteriorBuilder.Build(estimator, prior, "mcmc", p);
        Assert.That(built.Parameters, Is.SameAs(p));
        Assert.That(built.Proposal, Is.SameAs(prior));
        Assert.That(((PosteriorBasedPotential)built.Potential).PosteriorEstimator, Is.SameAs(estimator));
        Assert.That(((McmcPosterior)PosteriorBuilder.Build(estimator, prior, "mcmc")).Parameters, Is.EqualTo(new McmcPosteriorParameters()));

        manual_seed(52);
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 1 }), showProgressBars: false, logger: NullLogger.Instance);
        var theta = prior.Sample(200);
        var net = npe.AppendSimulations(theta, theta + 0.3 * randn_like(theta)).Train(maxNumEpochs: 1, trainingBatchSize: 50);
        var mcmc = (McmcPosterior)npe.BuildPosterior("mcmc", new McmcPosteriorParameters(numChains: 4, warmupSteps: 20, seed: 1));
        Assert.That(((PosteriorBasedPotential)mcmc.Potential).PosteriorEstimator, Is.Not.SameAs(net));
        Assert.That(prior.WithinSupport(mcmc.SetDefaultX(tensor(new float[] { 0.5f, -0.5f })).Sample(40)).all().item<bool>());
    }

    /// <summary>
    /// NPE-B needs a normalised proposal density: an MCMC or rejection posterior as the next round's proposal is refused
    /// with an error that names it and says why; an importance-sampling posterior (normalised by its estimate) is taken.
    /// </summary>
    [Test]
    public void NpeBRefusesUnnormalisedProposals()
    {
        using var scope = NewDisposeScope();
        manual_seed(53);
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 1 }), showProgressBars: false, logger: NullLogger.Instance);
        var theta = prior.Sample(200);
        npe.AppendSimulations(theta, theta + 0.3 * randn_like(theta)).Train(maxNumEpochs: 1, trainingBatchSize: 50);
        var xo = tensor(new float[] { 0.5f, -0.5f });
        foreach (var kind in new[] { "mcmc", "rejection" })
        {
            var proposal = npe.BuildPosterior(kind).SetDefaultX(xo);
            var e = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(theta, theta, proposal: proposal))!;
            Assert.That(e.ParamName, Is.EqualTo("proposal"));
            Assert.That(e.Message, Does.Contain(proposal.GetType().Name).And.Contain("unnormalised").And.Contain("normalised proposal"));
        }
        var importance = npe.BuildPosterior("importance").SetDefaultX(xo);
        Assert.DoesNotThrow(() => npe.AppendSimulations(theta, theta + 0.3 * randn_like(theta), proposal: importance));
        Assert.That(npe.GetSimulations(startingRound: 1).Theta.shape[0], Is.EqualTo(200), "stored as round 1");
    }

    /// <summary>
    /// A trained network: sbi's MAF of the committed fixture maf_D2.npz at the observation of direct_maf_D2.npz (near a
    /// corner of the box [−2, 2]², 18 % of the estimator's mass outside). The MCMC target is the estimator's density
    /// restricted to the box, which sbi's DirectPosterior samples by rejection; the fixture holds the mean, variance and
    /// fourth central moment of sbi's 20,000 such samples. MCMC's mean and variance per dimension within
    /// <see cref="Tolerances.MonteCarloZ"/> standard errors of the difference, √(v/ESS + v/20,000) for the mean and
    /// √((m₄ − v²)/ESS₂ + (m₄ − v²)/20,000) for the variance (ESS₂ of the squared deviations).
    /// </summary>
    [Test]
    public void MatchesSbisDirectSamplesOnATrainedMaf()
    {
        using var scope = NewDisposeScope();
        var direct = Fixtures.Load("direct_maf_D2.npz");
        var estimator = Fixtures.Load("maf_D2.npz").Estimator();
        using var prior = new BoxUniform(direct.T("prior_low"), direct.T("prior_high"));
        const int chains = 20, n = 6000;
        var post = Build(estimator, prior, new McmcPosteriorParameters(numChains: chains, seed: 54));
        var samples = post.Sample(n, direct.T("x_o"));
        var draws = samples.to(ScalarType.Float64).data<double>().ToArray();
        var mean = direct.T("sample_mean").to(ScalarType.Float64).data<double>().ToArray();
        var variance = direct.T("sample_var").to(ScalarType.Float64).data<double>().ToArray();
        var m4 = direct.T("sample_m4").to(ScalarType.Float64).data<double>().ToArray();
        double sbiN = direct.T("num_samples").to(ScalarType.Float64).item<double>();
        for (int j = 0; j < 2; j++)
        {
            var x = Enumerable.Range(0, n).Select(i => draws[2 * i + j]).ToArray();
            double m = x.Average();
            var dev2 = x.Select(v => (v - m) * (v - m)).ToArray();
            double v = dev2.Sum() / (n - 1);
            double ess = ConvergenceDiagnostics.MeanEss(x, chains, n / chains), ess2 = ConvergenceDiagnostics.MeanEss(dev2, chains, n / chains);
            double zMean = Math.Abs(m - mean[j]) / Math.Sqrt(variance[j] / ess + variance[j] / sbiN);
            double k = m4[j] - variance[j] * variance[j];
            double zVar = Math.Abs(v - variance[j]) / Math.Sqrt(k / ess2 + k / sbiN);
            TestContext.Out.WriteLine($"θ{j}: mean {m:F4} vs sbi {mean[j]:F4} (z {zMean:F2}, ESS {ess:F0}); variance {v:F4} vs {variance[j]:F4} (z {zVar:F2})");
            Assert.That(zMean, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"mean of θ{j}");
            Assert.That(zVar, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"variance of θ{j}");
        }
        Assert.That(prior.WithinSupport(samples).all().item<bool>());
        AssertConverged(post.Diagnostics, chains, n / chains);
    }

    private sealed class Progress(Action<McmcProgress> report) : IProgress<McmcProgress>
    {
        public void Report(McmcProgress value) => report(value);
    }

    /// <summary>A potential of one value everywhere.</summary>
    private sealed class ConstantPotential(double value) : BasePotential(null, null)
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true) =>
            full(new long[] { theta.dim() == 1 ? 1 : theta.shape[0] }, value, dtype: ScalarType.Float32, device: theta.device);
    }

    /// <summary>0 at θ = 2 exactly (float32), log N(θ; 0, 1) for θ &lt; 1, −∞ elsewhere.</summary>
    private sealed class SpikePotential() : BasePotential(null, null)
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
        {
            var t = theta.to(ScalarType.Float32).reshape(-1);
            var body = -0.5f * t * t;
            var spike = t.eq(2f);
            return where(spike, zeros_like(t), where(t.lt(1f), body, full_like(t, float.NegativeInfinity)));
        }
    }

    /// <summary>log(N(θ; −4, 0.3²) + N(θ; 4, 0.3²)) up to a constant.</summary>
    private sealed class TwoModes() : BasePotential(null, null)
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
        {
            var t = theta.to(ScalarType.Float32).reshape(-1);
            return logaddexp(-0.5f * (t + 4f).square() / 0.09f, -0.5f * (t - 4f).square() / 0.09f);
        }
    }

    /// <summary>A proposal whose draws are given rows, in order (its density is irrelevant to the "proposal" strategy).</summary>
    private sealed class FixedStarts(float[] starts) : IDistribution
    {
        public int Dim => 1;
        public Tensor Sample(long n) => tensor(Enumerable.Range(0, (int)n).Select(i => starts[i % starts.Length]).ToArray()).reshape(n, 1);
        public Tensor LogProb(Tensor theta) => zeros(theta.shape[0]);
        public Tensor WithinSupport(Tensor theta) => ones(theta.shape[0], dtype: ScalarType.Bool);
        public Tensor Mean => zeros(1);
        public Tensor Stddev => ones(1);
        public Device Device => CPU;
    }

    /// <summary>A prior whose standard deviation is 0: the default z-scoring transform cannot be built.</summary>
    private sealed class DegeneratePrior : IDistribution
    {
        public int Dim => 1;
        public Tensor Sample(long n) => zeros(n, 1);
        public Tensor LogProb(Tensor theta) => zeros(theta.shape[0]);
        public Tensor WithinSupport(Tensor theta) => ones(theta.shape[0], dtype: ScalarType.Bool);
        public Tensor Mean => zeros(1);
        public Tensor Stddev => zeros(1);
        public Device Device => CPU;
    }
}
