using TorchSharp;
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
        // unbiased std of 1,3,5 is 2, exactly in float32 (mean 3, squares 4, 0, 4, sum 8, /2, √4: all exact);
        // the constant column is floored at 1e-7 (the floor itself is returned).
        Assert.That(s[0].item<float>(), Is.EqualTo(2f));
        Assert.That(s[1].item<float>(), Is.EqualTo(1e-7f));
    }

    [Test]
    public void StructuredUsesScalarStatistics()
    {
        using var scope = NewDisposeScope();
        var b = tensor(new float[,] { { 0, 2 }, { 4, 4 } });
        var (m, s) = ZScore.Statistics(b, ZScoreMode.Structured, ZScore.ThetaMinStd);
        Assert.That(m.dim(), Is.EqualTo(0));
        Assert.That(m.item<float>(), Is.EqualTo(2.5f));
        // row stds: √2 and 0 (floored to 1e-14); their mean √2/2: the rounded square root, the addition and the exact
        // halving, two roundings of a value below 1.
        Assert.That(s.item<float>(), Is.EqualTo(Math.Sqrt(2) / 2).Within(Tolerances.Formula(2, 1)));
    }

    /// <summary>
    /// The θ z-scoring is part of the density (sbi's z_score_theta, its log-determinant included): an estimator built on
    /// 10·θ has z-score scales 1/10 of the one built on θ (to the rounding of the two batch std computations, 300
    /// values each), and with those scales the same network gives log q(10·t) = log q(t) − D·log 10. The identity is
    /// checked in float64 on copies whose scales differ by exactly 10 (the float64 division rounds once), to the
    /// float64 rounding that the same identity's float32 realisations scale to.
    /// </summary>
    [Test]
    public void ThetaZScoringIsPartOfTheDensity()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var theta = randn(300, 2);
        var x = randn(300, 2);
        manual_seed(5);
        var a = PosteriorNn.Build("maf")(theta, x);
        manual_seed(5);
        var b = PosteriorNn.Build("maf")(theta * 10, x);
        const string scaleKey = "net._transform._transforms.0._scale";
        var ratio = (b.state_dict()[scaleKey] * 10 / a.state_dict()[scaleKey] - 1).abs().max().item<float>();
        Assert.That(ratio, Is.LessThanOrEqualTo(2 * Tolerances.Reduction(300, 1) + Tolerances.Formula(4, 1)), "z-score scales of 10·θ");
        using var _ = no_grad();
        var t = randn(10, 2);
        var xs = randn(10, 2);
        ConditionalDensityEstimator Scaled(ConditionalDensityEstimator e)
        {
            var c = e.Config.Estimator == "maf" ? Float64.Copy(e) : throw new InvalidOperationException();
            c.state_dict()[scaleKey].div_(10);
            return c;
        }
        using var a64 = Float64.Copy(a);
        using var b64 = Scaled(a);
        double Error(ConditionalDensityEstimator ea, ConditionalDensityEstimator eb, Tensor tt, Tensor xx) =>
            (ea.LogProbPaired(tt, xx) - eb.LogProbPaired(tt * 10, xx) - 2 * Math.Log(10)).abs().max().to(ScalarType.Float64).item<double>();
        // float32 copies with the same construction (scales divided by 10 in float32) measure the conditioning.
        var a32 = Float64.Copy(a); a32.to(ScalarType.Float32);
        var b32 = Float64.Copy(a); b32.to(ScalarType.Float32); b32.state_dict()[scaleKey].div_(10);
        double e32 = RoundingRealisations.MaxError(k => Error(a32, b32, RoundingRealisations.Perturb(t, k), xs));
        Assert.That(Error(a64, b64, t.D(), xs.D()), Is.LessThanOrEqualTo(Tolerances.Float64FromFloat32(e32, a.Config.HiddenFeatures, 10)), $"float32 {e32:G3}");
    }
}
