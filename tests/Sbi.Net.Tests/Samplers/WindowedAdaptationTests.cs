using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

public class WindowedAdaptationTests
{
    /// <summary>
    /// Stan's windows (stan/mcmc/windowed_adaptation.hpp; the Stan Reference Manual's "Automatic parameter tuning"
    /// shows 75 / 25, 50, 100, 200, 500 / 50 for 1000 warm-up iterations): slow windows as 0-based inclusive
    /// iteration ranges. Below 150 the stages take 15 % / 75 % / 10 % (truncated), below 20 there is none.
    /// </summary>
    [TestCase(1000, new[] { 75, 99, 100, 149, 150, 249, 250, 449, 450, 949 })]
    [TestCase(500, new[] { 75, 99, 100, 149, 150, 249, 250, 449 })]
    [TestCase(200, new[] { 75, 99, 100, 149 })]   // the doubled second window ends exactly at the terminal buffer
    [TestCase(150, new[] { 75, 99 })]
    [TestCase(149, new[] { 22, 134 })]   // 0.15·149 = 22.35 → 22; 0.1·149 = 14.9 → 14
    [TestCase(100, new[] { 15, 89 })]
    [TestCase(20, new[] { 3, 17 })]
    [TestCase(19, new int[0])]
    [TestCase(0, new int[0])]
    public void WindowsFallWhereStansDo(int warmup, int[] bounds)
    {
        var expected = Enumerable.Range(0, bounds.Length / 2).Select(i => (bounds[2 * i], bounds[2 * i + 1])).ToArray();
        Assert.That(WindowedAdaptation.Windows(warmup), Is.EqualTo(expected));
    }

    /// <summary>
    /// The metric changes exactly at each window's last iteration, to Stan's regularised variance of that window's
    /// draws, w·var + 10⁻³(1 − w) with w = n/(n + 5), var the unbiased sample variance, recomputed here two-pass:
    /// the Welford and two-pass results agree within <see cref="Tolerances.Reduction"/>(4n, 4·max q², u64) each.
    /// </summary>
    [Test]
    public void MetricIsTheRegularisedVarianceOfEachWindow()
    {
        const int warmup = 500, dim = 3;
        var rng = new Random(5);
        var draws = Enumerable.Range(0, warmup).Select(_ => new[] { 3 + rng.NextDouble(), -20 * rng.NextDouble(), 0.01 * rng.NextDouble() }).ToArray();
        var mass = new DiagonalMassAdaptation(dim, warmup);
        var inverseMass = new double[] { 1, 1, 1 };
        var windows = WindowedAdaptation.Windows(warmup);
        var ends = new List<int>();
        Assert.Multiple(() =>
        {
            for (int t = 0; t < warmup; t++)
            {
                var before = inverseMass.ToArray();
                bool changed = mass.Learn(draws[t], inverseMass);
                if (!changed)
                {
                    Assert.That(inverseMass, Is.EqualTo(before), $"iteration {t}");
                    continue;
                }
                ends.Add(t);
                var (first, last) = windows[ends.Count - 1];
                int n = last - first + 1;
                Assert.That(mass.LastWindowDraws, Is.EqualTo(n));
                for (int d = 0; d < dim; d++)
                {
                    var x = draws[first..(last + 1)].Select(q => q[d]).ToArray();
                    double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / (n - 1);
                    double w = n / (n + 5.0);
                    double expected = w * variance + 1e-3 * (5.0 / (n + 5.0));
                    double bound = 2 * Tolerances.Reduction(4L * n, 4 * x.Max(v => v * v), Tolerances.U64) / (n - 1) + 3 * Tolerances.U64 * expected;
                    Assert.That(inverseMass[d], Is.EqualTo(expected).Within(bound), $"window [{first}, {last}] dim {d}");
                }
            }
            Assert.That(ends, Is.EqualTo(windows.Select(w => w.Last)));
            Assert.That(mass.CompletedWindows, Is.EqualTo(windows.Count));
        });
    }
}
