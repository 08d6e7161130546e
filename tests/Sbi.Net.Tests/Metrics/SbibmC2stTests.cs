using NUnit.Framework;
using Sbi.Data;
using Sbi.Metrics;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Tests.Metrics;

/// <summary>
/// <see cref="SbibmC2st"/> against scikit-learn itself: the recorded fixture <c>data/sbibm_c2st.npz</c>
/// (python/make_sbibm_c2st_fixture.py, sbibm's c2st calls on scikit-learn 1.2.1) holds NumPy's RandomState streams
/// and sbibm's score of fixed sample pairs. The streams must agree exactly; the scores within
/// <see cref="Tolerances.SbibmC2stAgreement"/>.
/// </summary>
public class SbibmC2stTests
{
    private int _threads;
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    private static NpzFile Fixture() => NpzFile.Load(System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "sbibm_c2st.npz"));

    [Test]
    public void RandomSampleIsNumpys()
    {
        var expected = Fixture()["mt/seed1_random_sample"].AsFloat64();
        var rs = new NumpyRandomState(1);
        var got = expected.Select(_ => rs.NextDouble()).ToArray();
        Assert.That(got, Is.EqualTo(expected), "RandomState(1).random_sample(16), bit for bit");
    }

    [Test]
    public void UniformIsNumpys()
    {
        var expected = Fixture()["mt/seed7_uniform"].AsFloat64();
        var rs = new NumpyRandomState(7);
        var got = expected.Select(_ => rs.Uniform(-0.3, 0.3)).ToArray();
        Assert.That(got, Is.EqualTo(expected), "RandomState(7).uniform(-0.3, 0.3, (4, 5)), row-major, bit for bit");
    }

    [Test]
    public void ShuffleIsNumpys()
    {
        var f = Fixture();
        var small = Enumerable.Range(0, 20).Select(i => (long)i).ToArray();
        new NumpyRandomState(1).Shuffle(small);
        Assert.That(small, Is.EqualTo(f["mt/seed1_shuffle20"].AsInt64()));

        var big = Enumerable.Range(0, 70_000).Select(i => (long)i).ToArray();
        new NumpyRandomState(1).Shuffle(big);
        var every997 = Enumerable.Range(0, (70_000 + 996) / 997).Select(i => big[i * 997]).ToArray();
        Assert.That(every997, Is.EqualTo(f["mt/seed1_shuffle70000_every997"].AsInt64()), "bounded draws above 2^16");
    }

    [Test]
    public void KFoldIsScikitLearns()
    {
        var folds = KFold.Split(23, 5, new NumpyRandomState(1));
        var tests = folds.SelectMany(f => f.Test).ToArray();
        Assert.That(tests, Is.EqualTo(Fixture()["mt/kfold_n23_seed1"].AsInt64()), "KFold(5, shuffle=True, random_state=1) test folds of 23 rows");
        Assert.That(folds.Select(f => f.Test.Length), Is.EqualTo(new[] { 5, 5, 5, 4, 4 }));
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        var f = NpzFile.Load(System.IO.Path.Combine(AppContext.BaseDirectory, "data", "sbibm_c2st.npz"));
        var names = f["case_names"].AsStrings();
        for (int k = 0; k < names.Length; k++) yield return new TestCaseData(k).SetArgDisplayNames($"case{k}: {names[k]}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ScoreMatchesScikitLearn(int k)
    {
        var f = Fixture();
        using var x = f[$"case{k}/X"].ToTensor();
        using var y = f[$"case{k}/Y"].ToTensor();
        double expected = f[$"case{k}/c2st"].AsFloat32()[0];
        var spread = f[$"case{k}/c2st_seeds"].AsFloat32();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double got = SbibmC2st.Score(x, y, seed: 1);
        TestContext.Out.WriteLine($"sbibm form {got:F4}, scikit-learn {expected:F4} (epochs per fold {string.Join(", ", f[$"case{k}/n_iter"].AsInt64())}); " +
                                  $"scikit-learn over seeds 1..{spread.Length}: {string.Join(" ", spread.Select(v => v.ToString("F4")))}  " +
                                  $"[{clock.Elapsed.TotalSeconds:F1} s]");
        Assert.That(got, Is.EqualTo(expected).Within(Tolerances.SbibmC2stAgreement));
    }

    [Test]
    public void ConstantReferenceColumnIsRefused()
    {
        using var x = randn(20, 3);
        x.select(1, 1).zero_();
        using var y = randn(20, 3);
        var e = Assert.Throws<ArgumentException>(() => SbibmC2st.Score(x, y))!;
        Assert.That(e.ParamName, Is.EqualTo("X"));
        Assert.That(e.Message, Does.Contain("column 1"));
    }

    [Test]
    public void NegativeSeedIsRefused()
    {
        using var x = randn(20, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => SbibmC2st.Score(x, x, seed: -1));
    }
}
