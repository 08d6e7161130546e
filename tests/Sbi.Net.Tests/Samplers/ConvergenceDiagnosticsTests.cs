using Sbi.Samplers;
using NUnit.Framework;

namespace Sbi.Tests.Samplers;

public class ConvergenceDiagnosticsTests
{
    /// <summary>m chains of n draws of a stationary Gaussian AR(1) with coefficient rho (unit marginal variance), chain-major.</summary>
    private static double[] Ar1(int m, int n, double rho, int seed, double[]? shifts = null)
    {
        var rng = new Random(seed);
        var x = new double[m * n];
        double innovation = Math.Sqrt(1 - rho * rho);
        for (int c = 0; c < m; c++)
        {
            double v = Gaussian(rng);
            for (int t = 0; t < n; t++)
            {
                x[c * n + t] = v + (shifts?[c] ?? 0);
                v = rho * v + innovation * Gaussian(rng);
            }
        }
        return x;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [TestCase(0.0)]
    [TestCase(0.5)]
    [TestCase(0.9)]
    public void BulkEssOfAnAr1ChainMatchesItsIntegratedAutocorrelationTime(double rho)
    {
        // ESS = S / τ with τ = (1 + ρ)/(1 − ρ) for AR(1). Sokal's variance of the truncated estimator,
        // Var τ̂ ≈ 2(2K + 1)/S · τ², with Geyer's cut-off K ≤ 60 lags here (ρ^60 < 2e-3 at ρ = 0.9), bounds the relative error.
        const int m = 4, n = 25_000, maxLag = 60;
        var x = Ar1(m, n, rho, seed: 11);
        double truth = m * n * (1 - rho) / (1 + rho);
        double ess = ConvergenceDiagnostics.BulkEss(x, m, n);
        double relative = Tolerances.MonteCarloZ * Math.Sqrt(2.0 * (2 * maxLag + 1) / (m * n));
        TestContext.Out.WriteLine($"rho {rho}: bulk ESS / truth {ess / truth:F3}, mean ESS / truth {ConvergenceDiagnostics.MeanEss(x, m, n) / truth:F3}, bound ±{relative:F3}");
        Assert.That(ess / truth, Is.InRange(1 - relative, 1 + relative));
        double meanEss = ConvergenceDiagnostics.MeanEss(x, m, n);
        Assert.That(meanEss / truth, Is.InRange(1 - relative, 1 + relative));
    }

    [Test]
    public void SplitRhatOfMixedChainsIsOneWithinItsSamplingError()
    {
        // For 2m split chains of n iid draws, R̂² = (n−1)/n + B/(nW) with B/W ≈ χ²(2m−1)/(2m−1): R̂ − 1 has bias −1/(2n)
        // and spread sd(B/W)/(2n) = √(2/(2m−1))/(2n).
        const int m = 4, n = 2000;
        var x = Ar1(m, n, 0.0, seed: 3);
        double rhat = ConvergenceDiagnostics.SplitRhat(x, m, n);
        int half = n / 2;
        double bound = (1.0 + Tolerances.MonteCarloZ * Math.Sqrt(2.0 / (2 * m - 1))) / (2.0 * half);
        Assert.That(rhat - 1, Is.InRange(-bound, bound));
    }

    [Test]
    public void SplitRhatFlagsAChainStuckElsewhereAndAChainThatDrifts()
    {
        const int m = 4, n = 1000;
        var shifted = Ar1(m, n, 0.5, seed: 5, shifts: [0, 0, 0, 3]);
        Assert.That(ConvergenceDiagnostics.SplitRhat(shifted, m, n) > 1.01);
        var drift = Ar1(m, n, 0.5, seed: 6);
        for (int c = 0; c < m; c++)
            for (int t = 0; t < n; t++) drift[c * n + t] += 4.0 * t / n;   // a trend splitting catches within each chain
        Assert.That(ConvergenceDiagnostics.SplitRhat(drift, m, n) > 1.01);
    }

    [Test]
    public void ChainsThatNeverMoveHaveNoDiagnostics()
    {
        var stuck = Enumerable.Repeat(0.25, 4 * 100).ToArray();
        Assert.That(double.IsNaN(ConvergenceDiagnostics.SplitRhat(stuck, 4, 100)));
        Assert.That(double.IsNaN(ConvergenceDiagnostics.BulkEss(stuck, 4, 100)));
    }

    [Test]
    public void ComputeReadsEachDimensionAndCountsAcceptanceAndDivergences()
    {
        const int m = 2, n = 500, dim = 2;
        var a = Ar1(m, n, 0.0, seed: 8);
        var b = Ar1(m, n, 0.9, seed: 9);
        var draws = new double[m * n * dim];
        for (int i = 0; i < m * n; i++) { draws[i * dim] = a[i]; draws[i * dim + 1] = b[i]; }
        var accept = Enumerable.Range(0, m * n).Select(i => i % 2 == 0 ? 1.0 : 0.5).ToArray();
        var divergent = Enumerable.Range(0, m * n).Select(i => i % 100 == 0).ToArray();
        var d = ConvergenceDiagnostics.Compute(draws, m, n, dim, accept, divergent);
        Assert.That(d.BulkEss[0], Is.EqualTo(ConvergenceDiagnostics.BulkEss(a, m, n)));
        Assert.That(d.BulkEss[1], Is.EqualTo(ConvergenceDiagnostics.BulkEss(b, m, n)));
        Assert.That(d.SplitRhat[1], Is.EqualTo(ConvergenceDiagnostics.SplitRhat(b, m, n)));
        Assert.That(d.AcceptanceRate!.Value, Is.EqualTo(0.75).Within(1e-12));
        Assert.That(d.Divergences, Is.EqualTo(10));
        Assert.That(d.MinBulkEss == d.BulkEss[1]);
    }

    [Test]
    public void BadShapesAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => ConvergenceDiagnostics.BulkEss(new double[10], 3, 4));
        Assert.That(e!.Message, Does.Contain("12"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConvergenceDiagnostics.SplitRhat(new double[4], 0, 4));
    }
}
