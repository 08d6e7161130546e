using NUnit.Framework;
using Sbi.Samplers;
using Sbi.Testing;

namespace Sbi.Tests.Samplers;

/// <summary>A plain-double target: each row's log-density from a function of the row alone, so a row's value never depends on its batch.</summary>
internal class FunctionTarget(int dim, Func<double[], double> logDensity) : IMcmcTarget
{
    private long _calls, _rows;

    public int Dim { get; } = dim;

    /// <summary>Batched calls so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Rows evaluated so far.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>The largest batch seen.</summary>
    public int MaxBatch { get; private set; }

    public void LogDensity(ReadOnlySpan<double> z, int rows, Span<double> result)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _rows, rows);
        lock (this) MaxBatch = Math.Max(MaxBatch, rows);
        for (int i = 0; i < rows; i++) result[i] = logDensity(z.Slice(i * Dim, Dim).ToArray());
    }

    public void LogDensityAndGradient(ReadOnlySpan<double> z, int rows, Span<double> result, Span<double> gradient) =>
        throw new NotSupportedException("slice samplers need no gradient");
}

/// <summary>Targets with known moments, and the Monte-Carlo check of a run's moments against them.</summary>
internal static class KnownTargets
{
    /// <summary>A target with known per-dimension E[x], sd(x), E[x²] and sd(x²).</summary>
    public sealed record Known(FunctionTarget Target, double[] Mean, double[] Sd, double[] Second, double[] SecondSd, double[] Start);

    /// <summary>
    /// N(μ, Σ) in D = 3 with correlations 0.57, 0.42 and −0.50: E[x_j²] = Σ_jj + μ_j², Var(x_j²) = 2Σ_jj² + 4μ_j²Σ_jj.
    /// </summary>
    public static Known CorrelatedGaussian()
    {
        double[] mu = [1, -2, 0.5];
        double[,] sigma = { { 1, 0.8, 0.3 }, { 0.8, 2, -0.5 }, { 0.3, -0.5, 0.5 } };
        var precision = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(sigma).Inverse();
        var target = new FunctionTarget(3, x =>
        {
            double q = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) q += (x[i] - mu[i]) * precision[i, j] * (x[j] - mu[j]);
            return -0.5 * q;
        });
        var s = Enumerable.Range(0, 3).Select(j => sigma[j, j]).ToArray();
        return new Known(target, mu, s.Select(Math.Sqrt).ToArray(), s.Select((v, j) => v + mu[j] * mu[j]).ToArray(),
                         s.Select((v, j) => Math.Sqrt(2 * v * v + 4 * mu[j] * mu[j] * v)).ToArray(), [0, 0, 0]);
    }

    /// <summary>
    /// Beta(2, 5) × Gamma(2, 1): bounded ([0, 1] and [0, ∞), −∞ outside) and skewed. Raw moments of Beta(a, b):
    /// E[xᵏ] = Πᵢ₌₀ᵏ⁻¹ (a + i)/(a + b + i); of Gamma(k, 1): E[xᵐ] = Πᵢ₌₀ᵐ⁻¹ (k + i). sd(x²) = √(E[x⁴] − E[x²]²).
    /// </summary>
    public static Known BetaGamma()
    {
        var target = new FunctionTarget(2, x =>
            x[0] <= 0 || x[0] >= 1 || x[1] <= 0 ? double.NegativeInfinity : Math.Log(x[0]) + 4 * Math.Log(1 - x[0]) + Math.Log(x[1]) - x[1]);
        static double Beta(int k) => Enumerable.Range(0, k).Aggregate(1.0, (p, i) => p * (2.0 + i) / (7.0 + i));
        static double Gamma(int k) => Enumerable.Range(0, k).Aggregate(1.0, (p, i) => p * (2.0 + i));
        double[] m1 = [Beta(1), Gamma(1)], m2 = [Beta(2), Gamma(2)], m4 = [Beta(4), Gamma(4)];
        return new Known(target, m1, [Math.Sqrt(m2[0] - m1[0] * m1[0]), Math.Sqrt(m2[1] - m1[1] * m1[1])], m2,
                         [Math.Sqrt(m4[0] - m2[0] * m2[0]), Math.Sqrt(m4[1] - m2[1] * m2[1])], [0.3, 1.5]);
    }

    /// <summary>
    /// The run's per-dimension mean and mean of x² against the truth: |estimate − truth| ≤ z·sd/√ESS with
    /// z = <see cref="Tolerances.MonteCarloZ"/>, sd the true standard deviation of x (of x²) and ESS the effective sample
    /// size of the draws of x (of x²) over all chains (<see cref="ConvergenceDiagnostics.MeanEss"/>), the Markov-chain
    /// central limit theorem's standard error of a mean.
    /// </summary>
    public static void AssertMoments(McmcChains run, Known known, string what) =>
        AssertMoments(run.Draws, run.NumChains, run.DrawsPerChain, run.Dim, known.Mean, known.Sd, known.Second, known.SecondSd, what);

    /// <summary><see cref="AssertMoments(McmcChains, Known, string)"/> for chain-major draws (chains·drawsPerChain × dim) and the true moments.</summary>
    public static void AssertMoments(double[] draws, int chains, int drawsPerChain, int dim, double[] mean, double[] sd, double[] second, double[] secondSd, string what)
    {
        int n = chains * drawsPerChain;
        for (int j = 0; j < dim; j++)
        {
            var x = Enumerable.Range(0, n).Select(i => draws[i * dim + j]).ToArray();
            var x2 = x.Select(v => v * v).ToArray();
            double ess = ConvergenceDiagnostics.MeanEss(x, chains, drawsPerChain);
            double ess2 = ConvergenceDiagnostics.MeanEss(x2, chains, drawsPerChain);
            double z1 = Math.Abs(x.Average() - mean[j]) / (sd[j] / Math.Sqrt(ess));
            double z2 = Math.Abs(x2.Average() - second[j]) / (secondSd[j] / Math.Sqrt(ess2));
            Assert.That(z1, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"{what}: mean of x{j} {x.Average()} vs {mean[j]} (ESS {ess:F0})");
            Assert.That(z2, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"{what}: mean of x{j}² {x2.Average()} vs {second[j]} (ESS {ess2:F0})");
        }
    }

    /// <summary>Per-dimension E[x], sd(x), E[x²], sd(x²) of N(μ_j, σ_j²): E[x²] = σ² + μ², Var(x²) = 2σ⁴ + 4μ²σ².</summary>
    public static (double[] Mean, double[] Sd, double[] Second, double[] SecondSd) NormalMoments(double[] mu, double[] sigma) =>
        (mu, sigma, mu.Select((m, j) => sigma[j] * sigma[j] + m * m).ToArray(),
         mu.Select((m, j) => Math.Sqrt(2 * Math.Pow(sigma[j], 4) + 4 * m * m * sigma[j] * sigma[j])).ToArray());
}
