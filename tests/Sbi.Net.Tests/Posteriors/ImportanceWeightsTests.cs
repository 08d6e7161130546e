using NUnit.Framework;
using Sbi.Posteriors;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>Kish's effective sample size and PSIS's Pareto-k̂ (<see cref="ImportanceWeights"/>) on weights with known answers.</summary>
public class ImportanceWeightsTests
{
    /// <summary>Equal weights: ESS = n exactly (a float64 sum of ones is exact), and the tail is bounded (k̂ = −∞ by the documented rule).</summary>
    [Test]
    public void EqualWeightsHaveFullSampleSizeAndNoTail()
    {
        using var scope = NewDisposeScope();
        var lw = full(5000, -3.25f);
        Assert.That(ImportanceWeights.EffectiveSampleSize(lw), Is.EqualTo(5000));
        Assert.That(ImportanceWeights.ParetoK(lw), Is.EqualTo(double.NegativeInfinity));
        Assert.That(ImportanceWeights.LogMeanExp(lw), Is.EqualTo(-3.25));
    }

    /// <summary>
    /// Weights w ~ Uniform(0, 1): ESS/n → (E w)²/E w² = 3/4, with delta-method variance
    /// [9·Var w + (81/16)·Var w² − 2·3·(9/4)·Cov(w, w²)]/n = 0.075/n (Var w = 1/12, Var w² = 4/45, Cov = 1/12). Exceedances
    /// over a high threshold are uniform, a generalized Pareto with k = −1: a bounded tail, k̂ &lt; 0.
    /// </summary>
    [Test]
    public void UniformWeightsHaveThreeQuartersSampleSizeAndABoundedTail()
    {
        using var scope = NewDisposeScope();
        manual_seed(41);
        const int n = 100_000;
        var lw = rand(n, dtype: ScalarType.Float64).log();
        double ess = ImportanceWeights.EffectiveSampleSize(lw);
        Assert.That(Math.Abs(ess / n - 0.75) / Math.Sqrt(0.075 / n), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"ESS {ess}");
        Assert.That(ImportanceWeights.ParetoK(lw), Is.LessThan(0));
    }

    /// <summary>
    /// Pareto(α) weights (log w = −log U / α): exceedances over any threshold t are exactly generalized Pareto with
    /// k = 1/α. From n = 10⁶ weights PSIS fits M = ⌈3√n⌉ = 3,000 of them; the estimate is asymptotically efficient, with
    /// spread (1 + k)/√M, and the prior shrinks it by (0.5 − k)·10/(M + 10). Each k̂ lies within
    /// <see cref="Tolerances.MonteCarloZ"/> spreads plus that shift of 1/α. (Checked over 60 other seeds, 5000–5059:
    /// spreads 0.031, 0.027, 0.023 for α = 1.25, 2, 4 against the predicted 0.033, 0.027, 0.023; means within 0.008 of k.)
    /// </summary>
    [TestCase(1.25)]
    [TestCase(2.0)]
    [TestCase(4.0)]
    public void ParetoWeightsGiveKOfOneOverAlpha(double alpha)
    {
        using var scope = NewDisposeScope();
        manual_seed(42 + (int)(alpha * 4));
        const int n = 1_000_000;
        var lw = rand(n, dtype: ScalarType.Float64).log().neg() / alpha;
        double k = 1 / alpha, m = Math.Ceiling(3 * Math.Sqrt(n));
        double kHat = ImportanceWeights.ParetoK(lw);
        double tolerance = Tolerances.MonteCarloZ * (1 + k) / Math.Sqrt(m) + Math.Abs(0.5 - k) * 10 / (m + 10);
        Assert.That(kHat, Is.EqualTo(k).Within(tolerance));
    }

    [Test]
    public void BadWeightsAreRefusedWithTheirCount()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => ImportanceWeights.EffectiveSampleSize(tensor(new[] { 0f, float.NaN, float.PositiveInfinity })))!;
        Assert.That(e.Message, Does.Contain("logWeights").And.Contain("2 NaN or +∞"));
        Assert.That(Assert.Throws<ArgumentException>(() => ImportanceWeights.ParetoK(zeros(2, 3)))!.Message, Does.Contain("(2, 3)"));
        Assert.That(ImportanceWeights.EffectiveSampleSize(tensor(new[] { float.NegativeInfinity, 0f, float.NegativeInfinity })), Is.EqualTo(1),
                    "−∞ log weights are zero weights");
        Assert.That(ImportanceWeights.ParetoK(zeros(10)), Is.EqualTo(double.PositiveInfinity), "too few weights for a fit (psis.py's rule)");
    }
}
