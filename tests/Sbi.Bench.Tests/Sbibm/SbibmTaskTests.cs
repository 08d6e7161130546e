using NUnit.Framework;
using Sbi.Bench.Sbibm;
using Sbi.Distributions;
using Sbi.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Bench.Tests.Sbibm;

/// <summary>
/// Each task's prior and simulator against sbibm's own data: the observations sbibm simulated from its true
/// parameters must look like draws of our simulator at those parameters, the true parameters like draws of our
/// prior, and the simulators must follow their definitions in sbibm's task.py (moments within Monte-Carlo error).
/// </summary>
public class SbibmTaskTests
{
    private int _threads;
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    private static IEnumerable<string> Tasks() => SbibmTasks.Names;

    private const double Z = Tolerances.MonteCarloZ;

    [TestCaseSource(nameof(Tasks))]
    public void ReferenceFileFitsTheTask(string name)
    {
        using var task = SbibmTasks.Create(name);
        using var reference = ReferenceData.Load(task);
        Assert.That(reference.Count, Is.EqualTo(10));
        Assert.That(reference.Observations.shape, Is.EqualTo(new long[] { 10, task.DimData }));
        Assert.That(reference.TrueParameters.shape, Is.EqualTo(new long[] { 10, task.DimParameters }));
        Assert.That(reference.ReferenceSamples.shape, Is.EqualTo(new long[] { 10, 1000, task.DimParameters }));
        Assert.That(reference.ObservationSeeds, Has.Count.EqualTo(10));
        Assert.That(task.Prior.Dim, Is.EqualTo(task.DimParameters));
    }

    /// <summary>
    /// x_o is a typical draw of our simulator at the true θ. The statistic is the distance from a point to its 5th
    /// nearest neighbour among 2,000 simulations at θ (coordinates scaled by their sd); x_o and 10,000 other
    /// simulations at θ are exchangeable under a correct simulator, so x_o is the most extreme of the 10,001 on either
    /// side with probability 2/10,001 (see <see cref="Tolerances.ExchangeableDraws"/>). A simulator with a wrong sign,
    /// offset or too small a noise puts x_o far outside the simulated cloud, beyond all 10,000.
    /// </summary>
    [TestCaseSource(nameof(Tasks))]
    public void ObservationsAreTypicalUnderTheTrueParameters(string name)
    {
        using var task = SbibmTasks.Create(name);
        using var reference = ReferenceData.Load(task);
        var failures = new List<string>();
        for (int k = 1; k <= reference.Count; k++)
        {
            using var scope = NewDisposeScope();
            using var g = new Generator((ulong)(100 + k));
            var theta = reference.TrueParameter(k);
            var pool = task.Simulate(theta.expand(2000, -1), g);
            var heldOut = task.Simulate(theta.expand(Tolerances.ExchangeableDraws, -1), g);
            var scale = pool.std(0);
            var tObs = KnnDistance(reference.Observation(k) / scale, pool / scale);
            var tHeld = KnnDistance(heldOut / scale, pool / scale);
            double to = tObs.item<float>(), lo = tHeld.min().item<float>(), hi = tHeld.max().item<float>();
            double rank = tHeld.lt(to).sum().item<long>();
            TestContext.Out.WriteLine($"{name} obs {k}: 5-NN distance {to:F4}, {rank:N0} of {Tolerances.ExchangeableDraws:N0} held-out draws below it (range {lo:F4}..{hi:F4})");
            if (!(to > lo && to < hi)) failures.Add($"observation {k}: {to:F4} outside [{lo:F4}, {hi:F4}]");
        }
        Assert.That(failures, Is.Empty);
    }

    /// <summary>Distance from each row of <paramref name="points"/> to its 5th nearest row of <paramref name="pool"/>.</summary>
    private static Tensor KnnDistance(Tensor points, Tensor pool)
    {
        var parts = new List<Tensor>();
        for (long s = 0; s < points.shape[0]; s += 2000)
        {
            var d = cdist(points.narrow(0, s, Math.Min(2000, points.shape[0] - s)), pool);
            parts.Add(d.topk(5, 1, largest: false).values.select(1, 4));
        }
        return cat(parts, 0);
    }

    /// <summary>
    /// gaussian_linear's prior is N(0, 0.1·I) (sbibm's scale 0.1 is a covariance): Σ‖θ_k‖²/0.1 over its ten true
    /// parameter vectors is χ² with 100 degrees of freedom (mean 100, sd √200), so within 100 ± 4.5·√200. With 0.1 as
    /// the sd (variance 0.01) the statistic would be about 10; as a variance of 1, 1,000. Our prior's own draws have
    /// variance 0.1 within the sample variance's error 0.1·√(2/(n − 1)).
    /// </summary>
    [Test]
    public void GaussianLinearPriorHasVarianceOneTenth()
    {
        using var task = new GaussianLinear();
        using var reference = ReferenceData.Load(task);
        double chi2 = reference.TrueParameters.square().sum().item<float>() / GaussianLinear.Variance;
        TestContext.Out.WriteLine($"Σθ²/0.1 = {chi2:F1} (χ²₁₀₀)");
        Assert.That(chi2, Is.EqualTo(100).Within(Z * Math.Sqrt(200)));

        manual_seed(3);
        using var draws = task.Prior.Sample(20_000);
        using var variance = draws.var(0);
        var v = variance.data<float>().ToArray();
        Assert.That(v, Has.All.EqualTo(0.1).Within(Z * 0.1 * Math.Sqrt(2.0 / 19_999)));
    }

    [TestCase("two_moons", -1f, 1f)]
    [TestCase("gaussian_linear_uniform", -1f, 1f)]
    [TestCase("slcp", -3f, 3f)]
    public void TrueParametersLieInTheBoxPrior(string name, float low, float high)
    {
        using var task = SbibmTasks.Create(name);
        using var reference = ReferenceData.Load(task);
        var box = (BoxUniform)task.Prior;
        Assert.That(box.Low.data<float>().ToArray(), Has.All.EqualTo(low));
        Assert.That(box.High.data<float>().ToArray(), Has.All.EqualTo(high));
        using var inside = task.Prior.WithinSupport(reference.TrueParameters);
        Assert.That(inside.all().item<bool>(), Is.True);
    }

    /// <summary>
    /// Both Gaussian linear tasks: x − θ ~ N(0, 0.1·I). Over n = 20,000 simulations at observation 1's θ each
    /// coordinate's mean is 0 within 4.5·√(0.1/n) and its variance 0.1 within 4.5·0.1·√(2/(n − 1)).
    /// </summary>
    [TestCase("gaussian_linear")]
    [TestCase("gaussian_linear_uniform")]
    public void GaussianNoiseHasVarianceOneTenth(string name)
    {
        using var task = SbibmTasks.Create(name);
        using var reference = ReferenceData.Load(task);
        using var scope = NewDisposeScope();
        const int n = 20_000;
        using var g = new Generator(21);
        var theta = reference.TrueParameter(1).expand(n, -1);
        var noise = task.Simulate(theta, g) - theta;
        Assert.That(noise.mean([0L]).data<float>().ToArray(), Has.All.EqualTo(0).Within(Z * Math.Sqrt(0.1 / n)));
        Assert.That(noise.var(0).data<float>().ToArray(), Has.All.EqualTo(0.1).Within(Z * 0.1 * Math.Sqrt(2.0 / (n - 1))));
    }

    /// <summary>
    /// two_moons, inverted as sbibm's <c>_map_fun_inv</c> does: p = x − (−|z₀|, z₁), u = p₀ − 0.25, v = p₁. Then
    /// r = √(u² + v²) ~ N(0.1, 0.01²) (mean within 4.5·0.01/√n, sd within 4.5·0.01/√(2(n − 1))), the angle atan2(v, u)
    /// ~ U(−π/2, π/2) (so u &gt; 0 always; mean 0 within 4.5·(π/√12)/√n), at observation 1's θ and at a corner.
    /// </summary>
    [TestCase(1)]
    [TestCase(0)]
    public void TwoMoonsFollowsItsDefinition(int observation)
    {
        using var task = new TwoMoons();
        using var reference = ReferenceData.Load(task);
        using var scope = NewDisposeScope();
        const int n = 20_000;
        var theta = observation == 0 ? tensor(new float[] { -0.9f, 0.8f }).unsqueeze(0) : reference.TrueParameter(observation);
        using var g = new Generator(22);
        var x = task.Simulate(theta.expand(n, -1), g).to(ScalarType.Float64);
        double c = Math.Cos(-Math.PI / 4), s = Math.Sin(-Math.PI / 4);
        var th = theta.to(ScalarType.Float64)[0].data<double>().ToArray();
        double z0 = c * th[0] - s * th[1], z1 = s * th[0] + c * th[1];
        var u = x.select(1, 0).add(Math.Abs(z0) - 0.25);
        var v = x.select(1, 1).sub(z1);
        var r = (u.square() + v.square()).sqrt();
        var angle = atan2(v, u);
        Assert.That(u.gt(0).all().item<bool>(), Is.True, "a ∈ (−π/2, π/2): u = r cos a > 0");
        Assert.That(r.mean().item<double>(), Is.EqualTo(0.1).Within(Z * 0.01 / Math.Sqrt(n)));
        Assert.That(r.std().item<double>(), Is.EqualTo(0.01).Within(Z * 0.01 / Math.Sqrt(2.0 * (n - 1))));
        Assert.That(angle.mean().item<double>(), Is.EqualTo(0).Within(Z * Math.PI / Math.Sqrt(12) / Math.Sqrt(n)));
        Assert.That(angle.abs().max().item<double>(), Is.LessThan(Math.PI / 2));
    }

    /// <summary>
    /// slcp: the 4n draws of n simulations at one θ are iid N(m, S), m = (θ₀, θ₁), S = [[s₁², ρs₁s₂], [ρs₁s₂, s₂²]] +
    /// 10⁻⁶·I. Sample means are within 4.5·√(S_jj/N) of m; sample variances within 4.5·S_jj·√(2/(N − 1)) of S_jj; the
    /// covariance within 4.5·√((S₀₀S₁₁ + S₀₁²)/(N − 1)) of S₀₁ (normal-theory variances of the sample moments).
    /// </summary>
    [TestCase(1)]
    [TestCase(4)]
    public void SlcpFollowsItsDefinition(int observation)
    {
        using var task = new Slcp();
        using var reference = ReferenceData.Load(task);
        using var scope = NewDisposeScope();
        const int n = 10_000, draws = 4 * n;
        var theta = reference.TrueParameter(observation);
        using var g = new Generator(23);
        var x = task.Simulate(theta.expand(n, -1), g).to(ScalarType.Float64).reshape(draws, 2);
        var t = theta.to(ScalarType.Float64)[0].data<double>().ToArray();
        double s1 = t[2] * t[2], s2 = t[3] * t[3], rho = Math.Tanh(t[4]);
        double c00 = s1 * s1 + 1e-6, c11 = s2 * s2 + 1e-6, c01 = rho * s1 * s2;
        var mean = x.mean([0L]).data<double>().ToArray();
        var centred = x - x.mean([0L]);
        var cov = centred.t().mm(centred) / (draws - 1.0);
        var cv = cov.data<double>().ToArray();
        TestContext.Out.WriteLine($"θ = [{string.Join(", ", t.Select(v => v.ToString("F3")))}]: mean [{mean[0]:F4}, {mean[1]:F4}], " +
                                  $"cov [{cv[0]:F5}, {cv[1]:F5}, {cv[3]:F5}] vs [{c00:F5}, {c01:F5}, {c11:F5}]");
        Assert.That(mean[0], Is.EqualTo(t[0]).Within(Z * Math.Sqrt(c00 / draws)));
        Assert.That(mean[1], Is.EqualTo(t[1]).Within(Z * Math.Sqrt(c11 / draws)));
        Assert.That(cv[0], Is.EqualTo(c00).Within(Z * c00 * Math.Sqrt(2.0 / (draws - 1))));
        Assert.That(cv[3], Is.EqualTo(c11).Within(Z * c11 * Math.Sqrt(2.0 / (draws - 1))));
        Assert.That(cv[1], Is.EqualTo(c01).Within(Z * Math.Sqrt((c00 * c11 + c01 * c01) / (draws - 1))));
    }

    [Test]
    public void SimulationIsSeededByTheGenerator()
    {
        foreach (var name in SbibmTasks.Names)
        {
            using var task = SbibmTasks.Create(name);
            using var scope = NewDisposeScope();
            manual_seed(5);
            var theta = task.Prior.Sample(50);
            using var g1 = new Generator(9);
            using var g2 = new Generator(9);
            var a = task.Simulate(theta, g1);
            var b = task.Simulate(theta, g2);
            Assert.That(a.shape, Is.EqualTo(new long[] { 50, task.DimData }), name);
            Assert.That(a.eq(b).all().item<bool>(), Is.True, $"{name}: the same generator seed gives the same x");
            Assert.That(isfinite(a).all().item<bool>(), Is.True, name);
        }
    }

    [Test]
    public void SimulateRefusesTheWrongShape()
    {
        using var task = new Slcp();
        using var theta = zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => task.Simulate(theta))!;
        Assert.That(e.ParamName, Is.EqualTo("theta"));
        Assert.That(e.Message, Does.Contain("(n, 5)").And.Contain("[3, 4]"));
        Assert.Throws<ArgumentException>(() => SbibmTasks.Create("lotka_volterra"));
    }

    /// <summary>
    /// gaussian_linear's reference samples are draws of the analytic posterior N(x_o/2, 0.05·I): per observation and
    /// coordinate (100 checks) the mean of the 1,000 kept samples lies within 4.5·√(0.05/1000) of x_o/2 and the
    /// variance within 4.5·0.05·√(2/999) of 0.05; and sbibm's C2ST of 500 analytic draws against 500 of observation 1's
    /// reference samples is 0.5 within 4.5 binomial standard errors of 1,000 held-out predictions, √(0.25/1000).
    /// </summary>
    [Test]
    public void GaussianLinearReferenceIsTheAnalyticPosterior()
    {
        using var task = new GaussianLinear();
        using var reference = ReferenceData.Load(task);
        for (int k = 1; k <= reference.Count; k++)
        {
            using var scope = NewDisposeScope();
            using var post = GaussianLinear.AnalyticPosterior(reference.Observation(k));
            var refK = reference.Reference(k);
            Assert.That(post.Mean.data<float>().ToArray().Zip(refK.mean([0L]).data<float>().ToArray(), (a, b) => Math.Abs(a - b)),
                        Has.All.LessThanOrEqualTo(Z * Math.Sqrt(0.05 / 1000)), $"observation {k}: means");
            Assert.That(refK.var(0).data<float>().ToArray(), Has.All.EqualTo(0.05).Within(Z * 0.05 * Math.Sqrt(2.0 / 999)), $"observation {k}: variances");
        }
        using (var scope = NewDisposeScope())
        {
            using var post = GaussianLinear.AnalyticPosterior(reference.Observation(1));
            manual_seed(8);
            var analytic = post.Sample(500);
            double c2st = SbibmC2st.Score(reference.Reference(1).narrow(0, 0, 500), analytic);
            TestContext.Out.WriteLine($"C2ST(reference obs 1, analytic) = {c2st:F4}");
            Assert.That(c2st, Is.EqualTo(0.5).Within(Z * Math.Sqrt(0.25 / 1000)));
        }
    }

    [Test]
    public void PublishedFiguresAreSbibms()
    {
        Assert.That(SbibmPublished.For("two_moons", 1000, 1), Is.EqualTo(new PublishedC2st(0.725, 0.045)));
        Assert.That(SbibmPublished.For("slcp", 10_000, 1), Is.EqualTo(new PublishedC2st(0.901, 0.047)));
        Assert.That(SbibmPublished.For("gaussian_linear", 100_000, 10), Is.EqualTo(new PublishedC2st(0.507, null)));
        Assert.That(SbibmPublished.For("two_moons", 500, 1), Is.Null);
    }
}
