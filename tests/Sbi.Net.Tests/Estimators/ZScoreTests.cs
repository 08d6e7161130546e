using NUnit.Framework;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Tests.Estimators;

public class ZScoreTests
{
    [Test]
    public void IndependentUsesUnbiasedStdAndSkipsInvalidRows()
    {
        using var scope = NewDisposeScope();
        var b = tensor(new float[,] { { 1, 10 }, { 3, 10 }, { float.NaN, 0 }, { 5, 10 } });
        var (m, s) = ZScore.Statistics(b, ZScoreMode.Independent, ZScore.XMinStd);
        Assert.That(m.data<float>().ToArray(), Is.EqualTo(new float[] { 3, 10 }));
        // unbiased std of 1,3,5 is 2; the constant column is floored at 1e-7.
        Assert.That(s[0].item<float>(), Is.EqualTo(2f).Within(1e-6));
        Assert.That(s[1].item<float>(), Is.EqualTo(1e-7f).Within(1e-12));
    }

    [Test]
    public void StructuredUsesScalarStatistics()
    {
        using var scope = NewDisposeScope();
        var b = tensor(new float[,] { { 0, 2 }, { 4, 4 } });
        var (m, s) = ZScore.Statistics(b, ZScoreMode.Structured, ZScore.ThetaMinStd);
        Assert.That(m.dim(), Is.EqualTo(0));
        Assert.That(m.item<float>(), Is.EqualTo(2.5f));
        // row stds: √2 and 0 (floored to 1e-14); mean ≈ √2/2.
        Assert.That(s.item<float>(), Is.EqualTo(Math.Sqrt(2) / 2).Within(1e-6));
    }

    [Test]
    public void ThetaZScoringIsPartOfTheDensity()
    {
        using var scope = NewDisposeScope();
        // Scaling θ by 10 must subtract D·log 10 from the log-density (the z-scoring log-det is included, sbi §4.2).
        manual_seed(4);
        var theta = randn(300, 2);
        var x = randn(300, 2);
        manual_seed(5);
        var a = PosteriorNn.Build("maf")(theta, x);
        manual_seed(5);
        var b = PosteriorNn.Build("maf")(theta * 10, x);
        using var _ = no_grad();
        var t = randn(10, 2);
        var xs = randn(10, 2);
        var diff = a.LogProbPaired(t, xs) - b.LogProbPaired(t * 10, xs);
        Assert.That((diff - 2 * Math.Log(10)).abs().max().item<float>(), Is.LessThan(1e-4));
    }
}
