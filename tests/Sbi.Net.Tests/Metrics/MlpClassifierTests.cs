using NUnit.Framework;
using Sbi.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Metrics;

/// <summary>Tests of the scikit-learn-compatible pieces behind C2ST: KFold layout and MLP training rules.</summary>
public class MlpClassifierTests
{
    // Small MLPs: one intra-op thread is fastest and steady on 2 shared cores (two threads spin-wait
    // and gave 10-100x slower steps under load). Restored afterwards for the rest of the suite.
    private int _threads;
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    [TestCase(2000, 5)]
    [TestCase(13, 5)]
    [TestCase(7, 3)]
    public void KFold_PartitionsRowsLikeScikitLearn(int n, int k)
    {
        var folds = KFold.Split(n, k, seed: 1);
        Assert.That(folds, Has.Length.EqualTo(k));
        var allTest = folds.SelectMany(f => f.Test).ToArray();
        Assert.That(allTest.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, n).Select(i => (long)i)), "test folds partition 0..n-1");
        for (int f = 0; f < k; f++)
        {
            // sklearn: fold sizes n // k, the first n % k folds one larger.
            Assert.That(folds[f].Test, Has.Length.EqualTo(n / k + (f < n % k ? 1 : 0)));
            Assert.That(folds[f].Train.Concat(folds[f].Test).OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, n).Select(i => (long)i)));
            Assert.That(folds[f].Test, Is.Ordered);
            Assert.That(folds[f].Train, Is.Ordered);
        }
        Assert.That(KFold.Split(n, k, seed: 1)[0].Test, Is.EqualTo(folds[0].Test), "deterministic for a seed");
    }

    [Test]
    public void Fit_StopsByScikitLearnNoImprovementRule()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var x = randn(400, 2, generator: g);
        var y = x[.., 0].gt(0).to(ScalarType.Float32);
        using var clf = new MlpClassifier([20, 20], seed: 1) { MaxIter = 2000 };
        clf.Fit(x, y);

        var curve = clf.LossCurve;
        Assert.That(clf.NIter, Is.EqualTo(curve.Count));
        Assert.That(clf.NIter, Is.LessThan(2000), "should converge by the tol rule before max_iter");
        // Replay _update_no_improvement_count (early_stopping=False): stop at the first epoch where
        // the count of consecutive epochs with loss > best - tol exceeds n_iter_no_change = 10.
        double best = double.PositiveInfinity;
        int count = 0, stopAt = -1;
        for (int e = 0; e < curve.Count; e++)
        {
            if (curve[e] > best - 1e-4) count++; else count = 0;
            if (curve[e] < best) best = curve[e];
            if (count > 10) { stopAt = e + 1; break; }
        }
        Assert.That(stopAt, Is.EqualTo(clf.NIter));
        Assert.That(curve[^1], Is.LessThan(curve[0]), "training reduces the loss");

        // Deterministic labels: the Bayes accuracy is 1, and the fitted MLP is within the learning gap of it.
        var acc = clf.Predict(x).eq(y.gt(0.5)).to(ScalarType.Float64).mean().item<double>();
        Assert.That(acc, Is.GreaterThanOrEqualTo(1 - Tolerances.C2stLearningGap), "a linear boundary is learned");
    }

    [Test]
    public void Fit_RespectsMaxIter_AndIsDeterministic()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(6);
        var x = randn(250, 3, generator: g);   // 250 rows: one full batch of 200 and a last batch of 50
        var y = randn(250, generator: g).gt(0).to(ScalarType.Float32);
        using var a = new MlpClassifier([30, 30], seed: 4) { MaxIter = 5 };
        using var b = new MlpClassifier([30, 30], seed: 4) { MaxIter = 5 };
        a.Fit(x, y);
        b.Fit(x, y);
        Assert.That(a.NIter, Is.EqualTo(5));
        // Same seed, same data: the same run up to float32 GEMM rounding (MKL may pick kernels by buffer alignment),
        // i.e. a reordered reduction over a 200-row batch at most.
        for (int e = 0; e < a.LossCurve.Count; e++)
            Assert.That(a.LossCurve[e], Is.EqualTo(b.LossCurve[e]).Within(Tolerances.Reduction(200, a.LossCurve[e])), $"epoch {e}");
        // A cross-entropy plus an L2 term: finite and positive.
        Assert.That(double.IsFinite(a.LossCurve[0]) && a.LossCurve[0] > 0, $"initial loss {a.LossCurve[0]}");
        using var pa = a.PredictProba(x);
        using var pb = b.PredictProba(x);
        Assert.That(pa.shape, Is.EqualTo(new long[] { 250 }));
        // Probabilities in [0, 1] through 30-unit layers: a reordered reduction of that length.
        Assert.That((pa - pb).abs().max().item<float>(), Is.LessThanOrEqualTo(Tolerances.Reduction(30, 1)));
    }

    [Test]
    public void Fit_DoesNotLeakNativeTensors()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var x = randn(300, 2, generator: g);
        var y = x[.., 1].gt(0).to(ScalarType.Float32);
        using (var warm = new MlpClassifier([20, 20], seed: 1) { MaxIter = 3 }) warm.Fit(x, y);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var clf = new MlpClassifier([20, 20], seed: 1) { MaxIter = 20 })
        {
            clf.Fit(x, y);
        }
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.That(after - before, Is.LessThanOrEqualTo(0), "no tensors outlive Fit + Dispose");
    }
}
