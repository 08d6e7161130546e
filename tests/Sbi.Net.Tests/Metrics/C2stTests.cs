using NUnit.Framework;
using Sbi.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Metrics;

/// <summary>
/// Statistical and contract tests of <see cref="C2st"/>. Samples come from seeded
/// <see cref="torch.Generator"/>s, so every number below is deterministic; the tolerances are set so
/// that they would also hold for other seeds with high probability (reasoning next to each test).
/// </summary>
public class C2stTests
{
    // Small MLPs: one intra-op thread is fastest and steady on 2 shared cores (two threads spin-wait
    // and gave 10-100x slower steps under load). Restored afterwards for the rest of the suite.
    private int _threads;
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    private static Tensor Normal(long n, long d, long seed, double shift = 0)
    {
        using var g = new Generator((ulong)seed);
        using var z = randn(n, d, generator: g);
        return z.add(shift);
    }

    // Identical distributions: the best possible accuracy is 0.5. Over 2000 test predictions the
    // binomial sd of the accuracy is sqrt(0.25/2000) ≈ 0.011; the fold-to-fold correlation of the
    // overfitted classifiers and the class imbalance between train and test folds add a few
    // thousandths. ±0.05 is ~4.5 binomial sd (sbibm reports ~0.5 ± 0.02 for such pairs).
    [TestCase(2)]
    [TestCase(5)]
    public void IdenticalDistributions_ScoreIsAboutHalf(int d)
    {
        using var x = Normal(1000, d, seed: 10 + d);
        using var y = Normal(1000, d, seed: 20 + d);
        double s = C2st.Score(x, y);
        TestContext.Out.WriteLine($"D={d}: C2ST = {s:F4}");
        Assert.That(s, Is.EqualTo(0.5).Within(0.05));
    }

    // N(0, I) vs N(3·1, I): the Bayes accuracy is Φ(3·√D / 2) = 0.983 (D = 2) and 0.9996 (D = 5);
    // with binomial sd ≤ 0.003 and a near-linear boundary the MLP gets close, so > 0.95 is safe.
    [TestCase(2)]
    [TestCase(5)]
    public void WellSeparatedDistributions_ScoreIsNearOne(int d)
    {
        using var x = Normal(1000, d, seed: 30 + d);
        using var y = Normal(1000, d, seed: 40 + d, shift: 3.0);
        double s = C2st.Score(x, y);
        TestContext.Out.WriteLine($"D={d}: C2ST = {s:F4}");
        Assert.That(s, Is.GreaterThan(0.95));
    }

    // N(0, 1) vs N(1, 1) in D = 1: the Bayes classifier thresholds at 0.5 and reaches Φ(0.5) = 0.6915.
    // Binomial sd over 2000 rows ≈ 0.0103; an MLP slightly below the Bayes rate. ±0.04 ≈ 4 sd.
    [Test]
    public void OneSdMeanShift_ScoreIsAboutPhiOfHalf()
    {
        using var x = Normal(1000, 1, seed: 50);
        using var y = Normal(1000, 1, seed: 51, shift: 1.0);
        double s = C2st.Score(x, y);
        TestContext.Out.WriteLine($"C2ST = {s:F4} (Bayes 0.6915)");
        Assert.That(s, Is.EqualTo(0.6915).Within(0.04));
    }

    [Test]
    public void UnequalSampleSizes_AreAccepted()
    {
        using var x = Normal(300, 2, seed: 60);
        using var y = Normal(200, 2, seed: 61, shift: 3.0);
        Assert.That(C2st.Score(x, y), Is.GreaterThan(0.9));
    }

    [Test]
    public void SameSeed_GivesSameScore_AndGlobalTorchRngIsUntouched()
    {
        using var x = Normal(150, 2, seed: 70);
        using var y = Normal(150, 2, seed: 71, shift: 0.5);

        manual_seed(1234);
        double a = C2st.Score(x, y, seed: 3);
        float afterScore = randn(1).item<float>();
        manual_seed(1234);
        float direct = randn(1).item<float>();
        double b = C2st.Score(x, y, seed: 3);

        Assert.That(b, Is.EqualTo(a), "same seed, same data, same result");
        Assert.That(afterScore, Is.EqualTo(direct), "Score must not consume the global torch RNG");
    }

    [Test]
    public void ArrayOverloads_MatchTensorOverload()
    {
        using var x = Normal(120, 2, seed: 80);
        using var y = Normal(120, 2, seed: 81, shift: 1.0);
        var xa = new float[120, 2];
        var ya = new float[120, 2];
        var xj = new float[120][];
        var yj = new float[120][];
        var xv = x.data<float>().ToArray();
        var yv = y.data<float>().ToArray();
        for (int i = 0; i < 120; i++)
        {
            xj[i] = new float[2];
            yj[i] = new float[2];
            for (int j = 0; j < 2; j++)
            {
                xa[i, j] = xj[i][j] = xv[i * 2 + j];
                ya[i, j] = yj[i][j] = yv[i * 2 + j];
            }
        }
        double t = C2st.Score(x, y);
        Assert.That(C2st.Score(xa, ya), Is.EqualTo(t));
        Assert.That(C2st.Score(xj, yj), Is.EqualTo(t));
    }

    [Test]
    public void Float64Input_IsAccepted()
    {
        using var x = Normal(100, 2, seed: 90);
        using var y = Normal(100, 2, seed: 91, shift: 3.0);
        using var xd = x.to(ScalarType.Float64);
        using var yd = y.to(ScalarType.Float64);
        Assert.That(C2st.Score(xd, yd), Is.EqualTo(C2st.Score(x, y)));
    }

    // sbibm divides by X's std; a constant column would give 0/0 = NaN there. The guard divides by 1.
    [Test]
    public void ConstantColumn_DoesNotProduceNaN()
    {
        using var x0 = Normal(100, 1, seed: 100);
        using var y0 = Normal(100, 1, seed: 101, shift: 3.0);
        using var x = cat([x0, full(100, 1, 2.0f)], 1);
        using var y = cat([y0, full(100, 1, 2.0f)], 1);
        double s = C2st.Score(x, y);
        Assert.That(double.IsFinite(s), Is.True);
        Assert.That(s, Is.GreaterThan(0.9));
    }

    [Test]
    public void WithoutZScore_StillSeparates()
    {
        using var x = Normal(200, 2, seed: 110);
        using var y = Normal(200, 2, seed: 111, shift: 3.0);
        Assert.That(C2st.Score(x, y, zScore: false), Is.GreaterThan(0.9));
    }

    [Test]
    public void Validation_NotTwoDimensional()
    {
        using var ok = zeros(10, 2);
        using var oneD = zeros(10);
        using var threeD = zeros(10, 2, 1);
        var e1 = Assert.Throws<ArgumentException>(() => C2st.Score(oneD, ok))!;
        Assert.That(e1.ParamName, Is.EqualTo("X"));
        Assert.That(e1.Message, Does.Contain("2-D").And.Contain("[10]"));
        var e2 = Assert.Throws<ArgumentException>(() => C2st.Score(ok, threeD))!;
        Assert.That(e2.ParamName, Is.EqualTo("Y"));
        Assert.That(e2.Message, Does.Contain("[10, 2, 1]"));
    }

    [Test]
    public void Validation_ColumnMismatch()
    {
        using var x = zeros(10, 2);
        using var y = zeros(10, 3);
        var e = Assert.Throws<ArgumentException>(() => C2st.Score(x, y))!;
        Assert.That(e.ParamName, Is.EqualTo("Y"));
        Assert.That(e.Message, Does.Contain("X has 2").And.Contain("Y has 3"));
    }

    [Test]
    public void Validation_TooFewRows()
    {
        using var x = zeros(4, 2);
        using var y = zeros(10, 2);
        var e = Assert.Throws<ArgumentException>(() => C2st.Score(x, y, nFolds: 5))!;
        Assert.That(e.ParamName, Is.EqualTo("X"));
        Assert.That(e.Message, Does.Contain("at least nFolds = 5 rows").And.Contain("got 4"));
    }

    [Test]
    public void Validation_NonFiniteValues()
    {
        using var x = zeros(10, 2);
        using var yNaN = zeros(10, 2);
        yNaN[3, 1] = tensor(float.NaN);
        using var yInf = zeros(10, 2);
        yInf[0, 0] = tensor(float.PositiveInfinity);
        yInf[1, 0] = tensor(float.NegativeInfinity);
        var e1 = Assert.Throws<ArgumentException>(() => C2st.Score(x, yNaN))!;
        Assert.That(e1.ParamName, Is.EqualTo("Y"));
        Assert.That(e1.Message, Does.Contain("finite").And.Contain("1 NaN"));
        var e2 = Assert.Throws<ArgumentException>(() => C2st.Score(yInf, x))!;
        Assert.That(e2.ParamName, Is.EqualTo("X"));
        Assert.That(e2.Message, Does.Contain("2 NaN or infinite"));
    }

    [Test]
    public void Validation_BadArguments()
    {
        using var x = zeros(10, 2);
        using var xi = zeros(10, 2, dtype: ScalarType.Int64);
        Assert.That(Assert.Throws<ArgumentException>(() => C2st.Score(x, x, nFolds: 1))!.ParamName, Is.EqualTo("nFolds"));
        Assert.That(Assert.Throws<ArgumentException>(() => C2st.Score(x, x, maxIter: 0))!.ParamName, Is.EqualTo("maxIter"));
        var e = Assert.Throws<ArgumentException>(() => C2st.Score(xi, x))!;
        Assert.That(e.ParamName, Is.EqualTo("X"));
        Assert.That(e.Message, Does.Contain("floating-point").And.Contain("Int64"));
        var ragged = new[] { new float[2], new float[3] };
        var rows = Enumerable.Range(0, 10).Select(_ => new float[2]).ToArray();
        var er = Assert.Throws<ArgumentException>(() => C2st.Score(ragged, rows))!;
        Assert.That(er.ParamName, Is.EqualTo("X"));
        Assert.That(er.Message, Does.Contain("rectangular"));
    }
}
