using NUnit.Framework;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Runtime;

namespace Sbi.Onnx.Tests;

/// <summary>DirectPosterior behaviour of <see cref="OnnxPosterior"/>: rejection, leakage correction, threads.</summary>
public class OnnxPosteriorTests
{
    private static float[] X0(string est = "maf", int d = 2) => Fixtures.Arrays(est, d)["x_cond"].AsFloat32()[..3];

    [TestCase("maf", 2, 5000), TestCase("maf", 5, 1), TestCase("nsf", 5, 7), TestCase("mdn", 2, 3000), TestCase("made", 5, 3000)]
    public void RejectionReturnsExactlyNSamplesInsideTheBox(string est, int d, int n)
    {
        using var post = OnnxPosterior.Load(Fixtures.Package(est, d));
        var s = post.Sample(n, X0(est, d), new Random(1));
        Assert.That(s.GetLength(0), Is.EqualTo(n));
        Assert.That(s.GetLength(1), Is.EqualTo(d));
        foreach (var v in s) Assert.That(v, Is.InRange(-2f, 2f));
    }

    [Test]
    public void SeedReproducesSamples()
    {
        using var post = OnnxPosterior.Load(Fixtures.Package("maf", 2));
        Assert.That(post.Sample(500, X0(), 42), Is.EqualTo(post.Sample(500, X0(), 42)));
        Assert.That(post.Sample(500, X0(), 42), Is.Not.EqualTo(post.Sample(500, X0(), 43)));
    }

    [Test]
    public void ConcurrentCallsOnOneInstanceMatchSequentialCalls()
    {
        using var post = OnnxPosterior.Load(Fixtures.Package("nsf", 2));
        var x = X0("nsf");
        var sequential = Enumerable.Range(0, 8).Select(i => post.Sample(2000, x, 100 + i)).ToArray();
        var parallel = new float[8][,];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = post.Sample(2000, x, 100 + i));
        for (int i = 0; i < 8; i++) Assert.That(parallel[i], Is.EqualTo(sequential[i]), $"task {i}");
    }

    [Test]
    public void LeakageCorrectionRatioEqualsAcceptance()
    {
        // maf_D5 has visible leakage at this x; compare with an independent acceptance estimate too.
        using var post = OnnxPosterior.Load(Fixtures.Package("maf", 5));
        var x = X0("maf", 5);
        var theta = post.Sample(200, x, 3);
        var raw = post.LogProb(theta, x, normalize: false);
        var norm = post.LogProb(theta, x);
        double acc = post.LeakageAcceptance(x);
        // norm = raw − log(acc) in float32: log(acc) rounded and one subtraction, relative to |raw| + |log acc|; the
        // exponential turns that absolute error into a relative one of acc.
        for (int i = 0; i < raw.Length; i++)
            Assert.That(Math.Exp(raw[i] - norm[i]), Is.EqualTo(acc).Within(acc * Tolerances.Formula(2, Math.Abs(raw[i]) + Math.Abs(Math.Log(acc)))));

        const int n = 200_000;
        var buf = new float[n * 5];
        post.SampleUnconstrained(n, x, new Random(9), buf);
        int inside = 0;
        for (int s = 0; s < n; s++) if (post.Prior.InSupport(buf.AsSpan(s * 5, 5))) inside++;
        double p = (double)inside / n;
        double se = Math.Sqrt(acc * (1 - acc) / 10_000 + p * (1 - p) / n); // the cached estimate uses >= 10,000 accepted draws
        TestContext.Out.WriteLine($"acceptance cached {acc:F4}, independent {p:F4} (se {se:F4})");
        Assert.That(acc, Is.LessThan(1.0));
        Assert.That(Math.Abs(acc - p), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ * se));
    }

    [Test]
    public void LogProbIsMinusInfinityOutsideTheClosedBox()
    {
        using var post = OnnxPosterior.Load(Fixtures.Package("maf", 2));
        var theta = new float[,] { { -2.2f, 0f }, { 0f, 2.0000002f }, { 2f, -2f }, { 0.5f, 0.5f } };
        var lp = post.LogProb(theta, X0());
        Assert.That(lp[0], Is.EqualTo(float.NegativeInfinity));
        Assert.That(lp[1], Is.EqualTo(float.NegativeInfinity));
        Assert.That(float.IsFinite(lp[2]), "the box edges belong to sbi's BoxUniform support");
        Assert.That(float.IsFinite(lp[3]));
    }

    [Test]
    public void RawLogProbEqualsFixture()
    {
        var a = Fixtures.Arrays("maf", 2);
        using var post = OnnxPosterior.Load(Fixtures.Package("maf", 2));
        var theta = a["theta"].AsFloat32();
        var x = a["x"].AsFloat32();
        var exact = a["f64/log_prob"].AsFloat64();
        double bound = Fixtures.Float32Bound(a, "log_prob", 50);
        var one = new float[1];
        for (int i = 0; i < 20; i++)
        {
            post.RawLogProb(theta.AsSpan(2 * i, 2), 1, x[(3 * i)..(3 * i + 3)], one);
            Assert.That(one[0], Is.EqualTo(exact[i]).Within(bound), $"row {i}");
        }
    }

    [Test]
    public void LowAcceptanceWarnsOnceAndTimeLimitThrows()
    {
        // The maf_D2 estimator with a tiny box far in its tail: almost nothing is accepted.
        var model = EstimatorModel.LoadNpz(Fixtures.PathOf("maf", 2));
        var tiny = new EstimatorModel
        {
            Config = model.Config, StateDict = model.StateDict,
            Prior = new BoxUniformSpec(new[] { 1.9f, 1.9f }, new[] { 1.9001f, 1.9001f }),
        };
        string dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-tests-" + Environment.ProcessId, "tiny_box");
        PosteriorExporter.Export(tiny, dir);
        var log = new List<string>();
        using var post = OnnxPosterior.Load(dir, new OnnxPosteriorOptions { MaxSamplingTime = TimeSpan.FromMilliseconds(300), Log = s => { lock (log) log.Add(s); } });
        Assert.Throws<TimeoutException>(() => post.Sample(100, X0(), 1));
        Assert.Throws<TimeoutException>(() => post.Sample(100, X0(), 2));
        Assert.That(log.Count(l => l.Contains("inside the prior support")), Is.EqualTo(1));
    }

    [Test]
    public void CudaRequestFallsBackToCpuWithAMessage()
    {
        var log = new List<string>();
        using var post = OnnxPosterior.Load(Fixtures.Package("maf", 1), new OnnxPosteriorOptions { UseCuda = true, Log = log.Add });
        if (post.ExecutionProvider == "CUDA") Assert.Pass("CUDA provider present on this machine.");
        Assert.That(post.ExecutionProvider, Is.EqualTo("CPU"));
        Assert.That(log.Any(l => l.Contains("falling back to CPU")), Is.True);
        Assert.That(post.Sample(10, X0("maf", 1), 1).GetLength(0), Is.EqualTo(10));
    }

    [Test]
    public void ManifestDescribesThePackage()
    {
        using var post = OnnxPosterior.Load(Fixtures.Package("nsf", 5));
        var m = post.Manifest;
        Assert.That((m.D, m.C, m.Opset, m.IrVersion), Is.EqualTo((5, 3, 17L, 10L)));
        Assert.That(m.Estimator["estimator"]!.GetValue<string>(), Is.EqualTo("nsf"));
        Assert.That(m.EstimatorName, Is.EqualTo("nsf"));
        Assert.That(m.Estimator["num_bins"]!.GetValue<int>(), Is.EqualTo(10));
        Assert.That(m.Prior["kind"]!.GetValue<string>(), Is.EqualTo("box_uniform"));
        Assert.That(m.ZScore["theta"]!["std"]!.AsArray().Count, Is.EqualTo(5));
        Assert.That(m.Sample.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "x", "noise" }));
        Assert.That(m.LogProb.Output.Name, Is.EqualTo("log_prob"));
    }
}
