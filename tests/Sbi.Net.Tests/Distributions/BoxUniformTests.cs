using NUnit.Framework;
using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Tests.Distributions;

public class BoxUniformTests
{
    [Test]
    public void EdgesFollowSbi()
    {
        using var scope = NewDisposeScope();
        using var box = new BoxUniform(new float[] { 0, -1 }, new float[] { 1, 3 });
        var theta = tensor(new float[,] { { 0, -1 }, { 1, 3 }, { 0.5f, 0 }, { 1.0001f, 0 }, { -1e-6f, 0 } });
        var lp = box.LogProb(theta).data<float>().ToArray();
        double inside = -Math.Log(4.0);
        // −(log 1 + log 4) in float32: two logarithms and one addition.
        double tol = Tolerances.Formula(3, Math.Log(4.0));
        // log_prob is half-open [low, high): the lower edge is inside, the upper edge is not.
        Assert.That(lp[0], Is.EqualTo(inside).Within(tol));
        Assert.That(float.IsNegativeInfinity(lp[1]), $"upper edge log_prob {lp[1]}");
        Assert.That(lp[2], Is.EqualTo(inside).Within(tol));
        Assert.That(float.IsNegativeInfinity(lp[3]) && float.IsNegativeInfinity(lp[4]));
        // the support is the closed box.
        Assert.That(box.WithinSupport(theta).data<bool>().ToArray(), Is.EqualTo(new[] { true, true, true, false, false }));
    }

    [Test]
    public void SamplesLieInTheBoxWithTheRightMoments()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var box = new BoxUniform(new float[] { 2, -1 }, new float[] { 4, 0 });
        var s = box.Sample(100_000);
        Assert.That(box.WithinSupport(s).all().item<bool>());
        // mean (low+high)/2 within Monte-Carlo error: standard error (high − low)/√12/√n.
        var m = s.mean(new long[] { 0 }).data<float>().ToArray();
        Assert.That(Math.Abs(m[0] - 3.0) / (2 / Math.Sqrt(12) / Math.Sqrt(100_000)), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ));
        Assert.That(Math.Abs(m[1] + 0.5) / (1 / Math.Sqrt(12) / Math.Sqrt(100_000)), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ));
        // std (high − low)/√12: an exact subtraction, √12 rounded to float32 and one division.
        Assert.That(box.Stddev.data<float>()[0], Is.EqualTo(2 / Math.Sqrt(12)).Within(Tolerances.Formula(2, 2 / Math.Sqrt(12))));
    }

    [Test]
    public void BadArgumentsAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => new BoxUniform(new float[] { 0, 0 }, new float[] { 1 }));
        Assert.That(e!.ParamName, Is.EqualTo("high"));
        Assert.Throws<ArgumentException>(() => new BoxUniform(new float[] { 1 }, new float[] { 0 }));
        using var box = new BoxUniform(new float[] { 0, 0 }, new float[] { 1, 1 });
        using var bad = zeros(3, 3);
        var e2 = Assert.Throws<ArgumentException>(() => box.LogProb(bad));
        Assert.That(e2!.Message, Does.Contain("D = 2").And.Contain("(3, 3)"));
    }
}
