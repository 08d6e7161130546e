using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Estimators;

/// <summary>Checks shared by the estimator tests.</summary>
internal static class DensityChecks
{
    /// <summary>
    /// ∫ q(θ | x) dθ = <paramref name="expectedMass"/> (1 for a normalised density). The integral is the trapezoid rule over
    /// a box one unit beyond the range of 20,000 samples, with <paramref name="points"/> (odd) points per axis, evaluated on
    /// a float64 copy of the estimator (so float rounding is negligible), plus the mass outside the box. Bounds:
    /// the quadrature error by Richardson's estimate, since the trapezoid error of an integrand with continuous first
    /// derivative almost everywhere is c·h² + o(h²), I_h − I_2h = 3c·h² and |I − I_h| ≈ |I_h − I_2h|/3, of which the
    /// full |I_h − I_2h| is allowed (for the higher-order terms and the kinks at spline knots); the outside mass, from
    /// 200,000 fresh samples, p̂ + <see cref="Tolerances.MonteCarloZ"/> standard errors, or −ln(10⁻⁵)/n where none falls
    /// outside (the binomial bound at the suite's per-check false-alarm rate); and a float64 sum of the grid.
    /// </summary>
    public static void AssertIntegratesTo(ConditionalDensityEstimator est, Tensor x, int points, double expectedMass = 1.0)
    {
        if (points % 2 == 0) throw new ArgumentException("Richardson's estimate needs an odd number of points per axis.", nameof(points));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int d = est.InputDim;
        var samples = est.Sample(20_000, x)[.., 0];
        double lo = samples.min().item<float>() - 1, hi = samples.max().item<float>() + 1, step = (hi - lo) / (points - 1);
        using var est64 = Float64.Copy(est);
        var axis = linspace(lo, hi, points, dtype: ScalarType.Float64);
        Tensor grid = d == 1 ? axis.unsqueeze(1) : stack(meshgrid(new[] { axis, axis }, indexing: "ij").Select(t => t.reshape(-1)).ToArray(), 1);
        var density = est64.LogProb(grid, x.D())[0].exp();
        double Integral(Tensor f, int every)
        {
            var sub = d == 1 ? f.slice(0, 0, points, every) : f.view(points, points).slice(0, 0, points, every).slice(1, 0, points, every);
            double h = step * every;
            return d == 1 ? trapezoid(sub, dx: h).item<double>() : trapezoid(trapezoid(sub, dx: h), dx: h).item<double>();
        }
        double ih = Integral(density, 1), i2h = Integral(density, 2);
        const int fresh = 200_000;
        var more = est.Sample(fresh, x)[.., 0];
        var outside = more.lt(lo).logical_or(more.gt(hi)).any(-1).to(ScalarType.Float64).mean().item<double>();
        double outsideBound = outside > 0 ? outside + Tolerances.MonteCarloZ * Math.Sqrt(outside * (1 - outside) / fresh) : -Math.Log(1e-5) / fresh;
        double bound = Math.Abs(ih - i2h) + outsideBound + Tolerances.Reduction((long)Math.Pow(points, d), expectedMass, Tolerances.U64);
        TestContext.Out.WriteLine($"mass {ih:F6} (coarse grid {i2h:F6}), outside the box {outside:G3}; |mass − {expectedMass:F6}| ≤ {bound:G3}");
        Assert.That(Math.Abs(ih + outside - expectedMass), Is.LessThanOrEqualTo(bound), "mass");
    }

    /// <summary>
    /// Saves the estimator (inside a DirectPosterior) as a model file and loads it back: the reloaded estimator's
    /// log-densities equal the original's exactly, and the file holds sbi's state-dict keys.
    /// </summary>
    public static void ModelFileRoundTripIsExact(ConditionalDensityEstimator est, string expectedKey)
    {
        using var scope = NewDisposeScope();
        int d = est.InputDim;
        using var prior = new BoxUniform(Enumerable.Repeat(-5f, d).ToArray(), Enumerable.Repeat(5f, d).ToArray());
        var post = new Sbi.Posteriors.DirectPosterior(est, prior, logger: NullLogger.Instance);
        var path = Path.Combine(Path.GetTempPath(), $"sbi-net-{Guid.NewGuid():N}-{est.Config.Estimator}.npz");
        try
        {
            Sbi.IO.ModelFile.Save(path, post);
            var loaded = Sbi.IO.ModelFile.Load(path);
            using var _ = no_grad();
            var theta = randn(50, d);
            var x = randn(50, est.ConditionShape[0]);
            Assert.That((est.LogProb(theta, x) - loaded.PosteriorEstimator.LogProb(theta, x)).abs().max().item<float>(), Is.EqualTo(0f));
            Assert.That(Sbi.Numpy.NpzFile.Load(path).Keys, Does.Contain("sd/" + expectedKey));
        }
        finally { File.Delete(path); }
    }

    /// <summary>Adds N(0, s²) noise to every trainable parameter (turns an almost-identity initial network into a generic one).</summary>
    public static void Perturb(nn.Module module, double s)
    {
        using var _ = no_grad();
        foreach (var p in module.parameters()) p.add_(randn_like(p) * s);
    }

    /// <summary>
    /// The posterior statistics of one training: the largest |mean − true mean| over the dimensions in posterior stds,
    /// and the largest |std / true std − 1|.
    /// </summary>
    public sealed record TrainedPosterior(int Seed, double MeanError, double StdError, int Epochs);

    /// <summary>Mean error and std error (see <see cref="TrainedPosterior"/>) of posterior samples against N(truth, trueStd² I).</summary>
    public static TrainedPosterior Score(int seed, Tensor samples, double[] truth, double trueStd, bool robustScale, int epochs)
    {
        using var scope = NewDisposeScope();
        var mean = samples.mean(new long[] { 0 }).data<float>().ToArray();
        Tensor scale;
        if (robustScale)
        {
            var q = samples.quantile(tensor(new float[] { 0.25f, 0.75f }), 0, false);   // (2, D)
            scale = (q[1] - q[0]) / 1.349;                                              // IQR of a normal = 1.349 σ
        }
        else scale = samples.std(0);
        var std = scale.data<float>().ToArray();
        return new TrainedPosterior(seed, mean.Select((m, i) => Math.Abs(m - truth[i]) / trueStd).Max(),
                                    std.Select(v => Math.Abs(v / trueStd - 1)).Max(), epochs);
    }

    /// <summary>
    /// Gaussian linear task, D = 2: prior N(0, I), x = θ + 0.1 ε, 3,000 simulations from training seed
    /// <paramref name="seed"/>; the posterior at x_o = (0.5, −0.8) is N(x_o/1.01, 0.01/1.01 I) (std 0.0995). Scores
    /// 4,000 posterior samples (Monte-Carlo error 0.016 std on the mean, ~1 % on the std). With
    /// <paramref name="robustScale"/> the std is estimated as interquartile range / 1.349 (Monte-Carlo error ~1.8 %),
    /// for flows whose rare tail samples would dominate the plain std (see <see cref="NsfTests"/>).
    /// </summary>
    public static TrainedPosterior TrainGaussianLinear(string model, int seed, bool robustScale = false,
                                                       Action<ConditionalDensityEstimator>? configurePosteriorEstimator = null)
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(seed);
        using var prior = MultivariateNormal.Standard(2);
        var theta = prior.Sample(3000);
        var x = theta + 0.1 * randn_like(theta);
        var npe = new NpeB(prior, model, showProgressBars: false, logger: NullLogger.Instance);
        npe.AppendSimulations(theta, x).Train();
        var xo = tensor(new float[] { 0.5f, -0.8f });
        var posterior = npe.BuildPosterior();
        configurePosteriorEstimator?.Invoke(posterior.PosteriorEstimator);
        return Score(seed, posterior.Sample(4000, xo), new[] { 0.5 / 1.01, -0.8 / 1.01 }, Math.Sqrt(0.01 / 1.01), robustScale,
                     npe.Summary.EpochsTrained.LastOrDefault());
    }

    /// <summary>
    /// A trained posterior is accurate: over the seeds of <paramref name="accuracy"/>, the median of the per-seed mean
    /// error and the median of the per-seed std error stay within its bounds (see <see cref="Tolerances.TrainedAccuracy"/>:
    /// one training's result depends on its trajectory, any change of rounding changes it, so the bound is on a
    /// statistic over seeds, derived from the measured seed-to-seed spread).
    /// </summary>
    public static void AssertAccurate(Tolerances.TrainedAccuracy accuracy, Func<int, TrainedPosterior> train, string what)
    {
        var runs = Enumerable.Range(0, accuracy.Seeds).Select(train).ToList();
        foreach (var r in runs)
            TestContext.Out.WriteLine($"{what} seed {r.Seed}: epochs {r.Epochs}, mean error {r.MeanError:F3} std, std error {r.StdError:F3}");
        double Median(IEnumerable<double> v) { var a = v.OrderBy(x => x).ToArray(); return a[a.Length / 2]; }
        double meanError = Median(runs.Select(r => r.MeanError)), stdError = Median(runs.Select(r => r.StdError));
        Assert.That(meanError, Is.LessThanOrEqualTo(accuracy.MeanError), $"{what}: median mean error over {runs.Count} seeds");
        Assert.That(stdError, Is.LessThanOrEqualTo(accuracy.StdError), $"{what}: median std error over {runs.Count} seeds");
    }

    /// <summary>The Gaussian linear accuracy of an estimator (see <see cref="TrainGaussianLinear"/> and <see cref="AssertAccurate"/>).</summary>
    public static void GaussianLinearPosteriorIsAccurate(string model, bool robustScale = false,
                                                         Action<ConditionalDensityEstimator>? configurePosteriorEstimator = null)
        => AssertAccurate(Tolerances.GaussianLinearAccuracy(model), seed => TrainGaussianLinear(model, seed, robustScale, configurePosteriorEstimator), model);

    /// <summary>
    /// The measurement behind the accuracy bounds (run on demand, not in CI): 30 training seeds (100–129, disjoint from
    /// the tests' 0–14), each seed's statistics and the largest, printed.
    /// </summary>
    public static void SeedSpread(string what, Func<int, TrainedPosterior> train, int seeds = 30)
    {
        var runs = Enumerable.Range(100, seeds).Select(train).ToList();
        foreach (var r in runs)
            TestContext.Out.WriteLine($"SEED {what} {r.Seed}: epochs {r.Epochs}, mean error {r.MeanError:F3}, std error {r.StdError:F3}");
        TestContext.Out.WriteLine($"SEEDSPREAD {what}: {seeds} seeds; mean error max {runs.Max(r => r.MeanError):F3}, std error max {runs.Max(r => r.StdError):F3}; " +
                                  $"below 1 std (mean) and 0.5 (std): max {runs.Where(r => r.MeanError < 1 && r.StdError < 0.5).Max(r => r.MeanError):F3} / {runs.Where(r => r.MeanError < 1 && r.StdError < 0.5).Max(r => r.StdError):F3} over {runs.Count(r => r.MeanError < 1 && r.StdError < 0.5)} seeds");
    }
}
