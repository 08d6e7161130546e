using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>
/// A small driver for kernel tests: chains on <see cref="ChainSeeds"/> streams, each started by the target's
/// <see cref="KnownTarget.Init"/> from its own stream, warm-up then kept draws, and the checks the HMC and NUTS
/// tests share. Draws are kept per dimension, chain-major, as <see cref="ConvergenceDiagnostics"/> reads them.
/// </summary>
internal sealed class KernelRun
{
    public delegate IHamiltonianKernel Factory(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings);

    public required int Chains { get; init; }
    public required int Draws { get; init; }
    public required double[][] PerDim { get; init; }
    public required double[] Accept { get; init; }
    public required bool[] Divergent { get; init; }
    public required IHamiltonianKernel[] Kernels { get; init; }
    public required long Evaluations { get; init; }

    /// <summary>Warm-up iterations per chain.</summary>
    public required int Warmup { get; init; }

    /// <summary>Warm-up positions per dimension, chain-major (chain c's iteration t at c·Warmup + t).</summary>
    public required double[][] WarmupPerDim { get; init; }

    /// <summary>Warm-up acceptance statistics and the step size after each warm-up iteration, chain-major.</summary>
    public required double[] WarmupAccept { get; init; }

    /// <inheritdoc cref="WarmupAccept"/>
    public required double[] WarmupStepSize { get; init; }

    public static KernelRun Drive(Factory make, KnownTarget target, McmcKernelSettings settings, int draws, long seed,
                                  int chains = 4, Action<IHamiltonianKernel>? prepare = null)
    {
        int dim = target.Dim, warmup = settings.WarmupSteps;
        var perDim = Enumerable.Range(0, dim).Select(_ => new double[chains * draws]).ToArray();
        var warmupPerDim = Enumerable.Range(0, dim).Select(_ => new double[chains * warmup]).ToArray();
        var accept = new double[chains * draws];
        var divergent = new bool[chains * draws];
        var warmupAccept = new double[chains * warmup];
        var warmupStepSize = new double[chains * warmup];
        var streams = ChainSeeds.Streams(seed, chains);
        var kernels = new IHamiltonianKernel[chains];
        long before = target.Evaluations;
        for (int c = 0; c < chains; c++)
        {
            var kernel = kernels[c] = make(target, target.Init(streams[c]), streams[c], settings);
            prepare?.Invoke(kernel);
            for (int t = 0; t < warmup; t++)
            {
                kernel.Step(adapting: true);
                var q = kernel.Positions;
                for (int d = 0; d < dim; d++) warmupPerDim[d][c * warmup + t] = q[d];
                warmupAccept[c * warmup + t] = kernel.AcceptStatistics[0];
                warmupStepSize[c * warmup + t] = kernel.StepSize;
            }
            for (int t = 0; t < draws; t++)
            {
                kernel.Step(adapting: false);
                var q = kernel.Positions;
                for (int d = 0; d < dim; d++) perDim[d][c * draws + t] = q[d];
                accept[c * draws + t] = kernel.AcceptStatistics[0];
                divergent[c * draws + t] = kernel.Divergent[0];
            }
        }
        return new KernelRun
        {
            Chains = chains, Draws = draws, PerDim = perDim, Accept = accept, Divergent = divergent, Kernels = kernels,
            Evaluations = target.Evaluations - before,
            Warmup = warmup, WarmupPerDim = warmupPerDim, WarmupAccept = warmupAccept, WarmupStepSize = warmupStepSize,
        };
    }

    /// <summary>The kept draws' mean acceptance statistic.</summary>
    public double MeanAccept => Accept.Average();

    /// <summary>Kept draws that diverged.</summary>
    public int Divergences => Divergent.Count(b => b);

    /// <summary>
    /// Per dimension, |estimate − truth|/(sd/√ESS) of the mean and of E x² (ESS the
    /// <see cref="ConvergenceDiagnostics.MeanEss"/> of the statistic's own chains: x for the mean, x² for E x²).
    /// </summary>
    public IEnumerable<(string What, double Z, string Report)> MomentZ(KnownTarget target)
    {
        for (int d = 0; d < PerDim.Length; d++)
        {
            var x = PerDim[d];
            var x2 = x.Select(v => v * v).ToArray();
            double mean = target.Mean[d], second = mean * mean + target.Variance[d];
            double zMean = Z(x, mean, out double essMean), zSecond = Z(x2, second, out double essSecond);
            yield return ($"mean of dim {d}", zMean, $"mean {x.Average():G5} (truth {mean:G5}, z {zMean:F2}, ESS {essMean:F0})");
            yield return ($"E x² of dim {d}", zSecond, $"E x² {x2.Average():G5} (truth {second:G5}, z {zSecond:F2}, ESS {essSecond:F0})");
        }
    }

    private double Z(double[] values, double truth, out double ess)
    {
        ess = ConvergenceDiagnostics.MeanEss(values, Chains, Draws);
        double avg = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - avg) * (v - avg)) / (values.Length - 1));
        return Math.Abs(avg - truth) / (sd / Math.Sqrt(ess));
    }

    /// <summary>Per dimension, split-R̂ − 1 and its bound <see cref="Tolerances.SplitRhatExcess"/> for the smaller of the bulk and tail (folded) ESS.</summary>
    public IEnumerable<(string What, double Excess, double Bound)> RhatExcess()
    {
        for (int d = 0; d < PerDim.Length; d++)
        {
            var x = PerDim[d];
            double rhat = ConvergenceDiagnostics.SplitRhat(x, Chains, Draws);
            double median = x.Order().ElementAt(x.Length / 2);
            var folded = x.Select(v => Math.Abs(v - median)).ToArray();
            double ess = Math.Min(ConvergenceDiagnostics.BulkEss(x, Chains, Draws), ConvergenceDiagnostics.BulkEss(folded, Chains, Draws));
            yield return ($"split-R̂ of dim {d} (ESS {ess:F0})", rhat - 1, Tolerances.SplitRhatExcess(Chains, Draws, ess));
        }
    }

    /// <summary>The last slow window of the warm-up (first, last iteration), as Stan's schedule places it.</summary>
    public (int First, int Last) LastWindow => WindowedAdaptation.Windows(Warmup)[^1];

    /// <summary>
    /// Per chain and dimension, the adapted inverse mass diagonal against Stan's regularised variance recomputed
    /// (two-pass, in float64) from the chain's recorded draws of the last slow window: equal to rounding. The two
    /// computations' errors are each a reordered sum of ~4n roundings of terms up to 4·max x² (|x − mean| ≤ 2 max|x|):
    /// <see cref="Tolerances.Reduction"/>(4n, 4·max x², u64)·n/(n − 1) on the variance, twice over, plus 3 roundings of
    /// the regularisation (3·u64·M⁻¹). Catches a window off by one draw (a change of order var/n).
    /// </summary>
    public IEnumerable<(string What, double Error, double Bound)> InverseMassRecomputed()
    {
        var (first, last) = LastWindow;
        int n = last - first + 1;
        for (int c = 0; c < Chains; c++)
        {
            var inverseMass = Kernels[c].InverseMassDiagonal.ToArray();
            for (int d = 0; d < PerDim.Length; d++)
            {
                var window = WarmupPerDim[d].AsSpan(c * Warmup + first, n).ToArray();
                double mean = window.Average();
                double variance = window.Sum(v => (v - mean) * (v - mean)) / (n - 1);
                double w = n / (n + 5.0);
                double expected = w * variance + 1e-3 * (5.0 / (n + 5.0));
                double maxSquare = window.Max(v => v * v);
                double bound = 2 * w * Tolerances.Reduction(4L * n, 4 * maxSquare, Tolerances.U64) * n / (n - 1) + 3 * Tolerances.U64 * expected;
                yield return ($"M⁻¹ of chain {c} dim {d} from its window [{first}, {last}]", Math.Abs(inverseMass[d] - expected), bound);
            }
        }
    }

    /// <summary>
    /// Per chain and dimension of a Gaussian target, the adapted inverse mass diagonal against the range Stan's
    /// regularised estimate w·s² + (1 − w)·10⁻³ (w = n/(n + 5)) takes from the last slow window's n draws:
    /// s²/σ² within <see cref="Tolerances.SampleVarianceRange"/>(n_eff), σ² the target's marginal variance, with
    /// n_eff = n·min(1, ESS/(m·n), ESS_c/n) from the ESS per draw of (x − μ)² over the m chains' window draws and over
    /// chain c's own (the window's own efficiency, where dual averaging still moves the step size; the smaller of the
    /// two and the cap at iid only widen the range). At n_eff = 100 that is a relative error in [−0.47, +0.75].
    /// Only for Gaussian targets: elsewhere s²'s distribution is no scaled χ² (the banana's x₂ has a heavy right
    /// tail, and a window that visits it overshoots any normal-theory range).
    /// </summary>
    public IEnumerable<(string What, double Value, double Low, double High, string Report)> InverseMassRange(KnownTarget target)
    {
        var (first, last) = LastWindow;
        int n = last - first + 1;
        for (int d = 0; d < PerDim.Length; d++)
        {
            double mu = target.Mean[d], variance = target.Variance[d];
            var windowSquared = Enumerable.Range(0, Chains)
                .SelectMany(c => WarmupPerDim[d].AsSpan(c * Warmup + first, n).ToArray())
                .Select(v => (v - mu) * (v - mu)).ToArray();
            double pooled = Math.Min(1, ConvergenceDiagnostics.MeanEss(windowSquared, Chains, n) / windowSquared.Length);
            for (int c = 0; c < Chains; c++)
            {
                double own = ConvergenceDiagnostics.MeanEss(windowSquared.AsSpan(c * n, n), 1, n) / n;
                double efficiency = Math.Min(pooled, double.IsFinite(own) ? own : 1);
                double w = n / (n + 5.0), shrink = (1 - w) * 1e-3;
                var (low, high) = Tolerances.SampleVarianceRange(n * efficiency);
                double value = Kernels[c].InverseMassDiagonal[d];
                yield return ($"M⁻¹ of chain {c} dim {d}", value, w * variance * low + shrink, w * variance * high + shrink,
                              $"M⁻¹/σ² {value / variance:F3} in [{w * low:F3}, {w * high:F3}] ({n} draws at efficiency {efficiency:F2})");
            }
        }
    }

    public void AssertMoments(KnownTarget target, string label) => AssertZ(MomentZ(target), label);

    /// <summary><see cref="InverseMassRecomputed"/> to rounding, then (Gaussian targets) <see cref="InverseMassRange"/>.</summary>
    public void AssertInverseMass(KnownTarget target, string label, bool gaussian)
    {
        var exact = InverseMassRecomputed().ToList();
        var ranges = gaussian ? InverseMassRange(target).ToList() : [];
        foreach (var (what, _, _, _, report) in ranges) TestContext.Out.WriteLine($"{label} {what}: {report}");
        Assert.Multiple(() =>
        {
            foreach (var (what, error, bound) in exact) Assert.That(error, Is.LessThanOrEqualTo(bound), $"{label} {what}");
            foreach (var kernel in Kernels) Assert.That(kernel.MassWindows.LastDraws, Is.EqualTo(LastWindow.Last - LastWindow.First + 1), $"{label} last window's draws");
            foreach (var (what, value, low, high, _) in ranges) Assert.That(value, Is.InRange(low, high), $"{label} {what}");
        });
    }

    public void AssertConverged(string label)
    {
        var checks = RhatExcess().ToList();
        foreach (var (what, excess, bound) in checks) TestContext.Out.WriteLine($"{label} {what}: R̂ − 1 = {excess:F4} (bound {bound:F4})");
        Assert.Multiple(() =>
        {
            foreach (var (what, excess, bound) in checks) Assert.That(excess, Is.LessThanOrEqualTo(bound), $"{label} {what}");
        });
    }

    private static void AssertZ(IEnumerable<(string What, double Z, string Report)> checks, string label)
    {
        var list = checks.ToList();
        foreach (var (what, _, report) in list) TestContext.Out.WriteLine($"{label} {what}: {report}");
        Assert.Multiple(() =>
        {
            foreach (var (what, z, _) in list) Assert.That(z, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"{label} {what}");
        });
    }
}
