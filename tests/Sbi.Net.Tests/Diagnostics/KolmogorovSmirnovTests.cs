using System.Text.Json;
using NUnit.Framework;
using Sbi.Diagnostics;

namespace Sbi.Tests.Diagnostics;

/// <summary>
/// The Kolmogorov–Smirnov port against scipy 1.10 (data/diagnostics/ks.json, written by
/// python/make_sbc_tarp_fixtures.py): kstwo.sf on a grid through every branch of scipy's <c>_kolmogn</c>, and
/// ks_2samp on equal-size samples with ties.
/// </summary>
public class KolmogorovSmirnovTests
{
    private static JsonElement Fixture()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "data", "diagnostics", "ks.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    [Test]
    public void TheTwoSidedDistributionIsScipys()
    {
        int checkedCount = 0;
        double worst = 0;
        var failures = new List<string>();
        foreach (var c in Fixture().GetProperty("kstwo_sf").EnumerateArray())
        {
            int n = c.GetProperty("n").GetInt32();
            double d = c.GetProperty("d").GetDouble(), expected = c.GetProperty("sf").GetDouble();
            double actual = KolmogorovDistribution.Sf(n, d);
            double bound = Tolerances.KsPValue(n, expected);
            worst = Math.Max(worst, Math.Abs(actual - expected) / bound);
            if (Math.Abs(actual - expected) > bound) failures.Add($"n {n} d {d:R} n·d² {n * d * d:G4}: {actual:R} vs {expected:R}");
            // (No CDF check against 1 − SF: scipy computes the two by different approximations in some branches.)
            checkedCount++;
        }
        Assert.That(failures, Is.Empty);
        TestContext.Out.WriteLine($"{checkedCount} values, largest error {worst:F3} of its bound");
        Assert.That(checkedCount, Is.GreaterThan(100));
    }

    [Test]
    public void TheTwoSampleTestIsScipys()
    {
        foreach (var c in Fixture().GetProperty("ks_2samp").EnumerateArray())
        {
            var a = c.GetProperty("a").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var b = c.GetProperty("b").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var (d, p) = KolmogorovSmirnov.TwoSample(a, b);
            int h = (int)Math.Round(d * a.Length);
            Assert.That(d, Is.EqualTo(c.GetProperty("statistic").GetDouble()), $"statistic, n = {a.Length}");
            Assert.That(p, Is.EqualTo(c.GetProperty("pvalue").GetDouble()).Within(h == 0 ? 0 : Tolerances.ProbOutsideSquare(a.Length, h)), $"p-value, n = {a.Length}");
        }
    }

    [Test]
    public void TheOneSampleStatisticIsTheLargestDeviationOfTheEmpiricalCdf()
    {
        // Sorted 0.1, 0.4, 0.5 against U(0, 1): D+ = max(1/3 − 0.1, 2/3 − 0.4, 1 − 0.5) = 0.5, D− = max(0.1, 0.4 − 1/3, 0.5 − 2/3).
        var (d, p) = KolmogorovSmirnov.OneSample([0.5, 0.1, 0.4], x => Math.Clamp(x, 0, 1));
        Assert.That(d, Is.EqualTo(0.5).Within(Tolerances.Formula(2, 1, Tolerances.U64)));
        Assert.That(p, Is.EqualTo(KolmogorovDistribution.Sf(3, d)));
    }

    [Test]
    public void TheCdfHasRubenGambinosClosedFormsAtTheEnds()
    {
        // 1/2n ≤ d ≤ 1/n: P(D₃ ≤ d) = 3!/3³·(2·3d − 1)³; n·d ≥ n − 1: P(Dₙ ≥ d) = 2(1 − d)ⁿ.
        Assert.That(KolmogorovDistribution.Cdf(3, 0.25), Is.EqualTo(6.0 / 27 * 0.125).Within(Tolerances.Formula(12, 1, Tolerances.U64)));
        // d = 15/16 makes 1 − d = 1/16 exact, so the closed form is exact: 2⁻³⁹.
        Assert.That(KolmogorovDistribution.Sf(10, 0.9375), Is.EqualTo(Math.ScaleB(1, -39)).Within(Tolerances.Formula(12, Math.ScaleB(1, -39), Tolerances.U64)));
        Assert.That(KolmogorovDistribution.Cdf(10, 0.9375), Is.EqualTo(1 - Math.ScaleB(1, -39)).Within(Tolerances.Formula(2, 1, Tolerances.U64)));
    }

    [Test]
    public void BadSamplesAreNamed()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => KolmogorovSmirnov.OneSample([], x => x))!.ParamName, Is.EqualTo("sample"));
        Assert.That(Assert.Throws<ArgumentException>(() => KolmogorovSmirnov.OneSample([double.NaN], x => x))!.ParamName, Is.EqualTo("sample"));
        var e = Assert.Throws<ArgumentException>(() => KolmogorovSmirnov.TwoSample([1.0, 2.0], [1.0]))!;
        Assert.That(e.ParamName, Is.EqualTo("b"));
        Assert.That(e.Message, Does.Contain("got 1 against 2"));
    }
}
