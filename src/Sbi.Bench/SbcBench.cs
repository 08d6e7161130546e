using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using System.Text.Json;
using Sbi.Data;
using Sbi.Diagnostics;
using Sbi.Distributions;
using Sbi.IO;
using Sbi.Numpy;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Bench;

/// <summary>What <see cref="SbcBench.Run"/> measured, beside sbi's own run on the same weights and data where recorded.</summary>
/// <param name="Observations">SBC observations N.</param>
/// <param name="PosteriorSamples">Posterior draws per observation L.</param>
/// <param name="Threads">Intra-op threads.</param>
/// <param name="Seconds">Best wall time of <see cref="Sbc.RunSbc"/> (batched sampling and ranks).</param>
/// <param name="AllSeconds">Every timed run.</param>
/// <param name="CpuSeconds">Best process CPU time of a run: on a shared machine, the wall time a one-thread run would take alone.</param>
/// <param name="KsPvals">KS p-values of the ranks, per dimension.</param>
/// <param name="SbiSeconds">sbi's best run_sbc time from <c>sbi_sbc.json</c> (python/bench_sbc_sbi.py), or null.</param>
/// <param name="SbiCpuSeconds">sbi's best process CPU time of a run_sbc, or null.</param>
/// <param name="SbiThreads">The thread count sbi ran with, or null.</param>
/// <param name="SbiKsPvals">sbi's KS p-values, or null.</param>
public sealed record SbcBenchResult(int Observations, int PosteriorSamples, int Threads, double Seconds, double[] AllSeconds, double CpuSeconds,
                                    double[] KsPvals, double? SbiSeconds, double? SbiCpuSeconds, int? SbiThreads, double[]? SbiKsPvals)
{
    /// <summary>sbi's wall seconds over Sbi.Net's (how many times faster Sbi.Net is), or null without sbi's run.</summary>
    public double? Speedup => SbiSeconds / Seconds;

    /// <summary>sbi's CPU seconds over Sbi.Net's, or null without sbi's run.</summary>
    public double? CpuSpeedup => SbiCpuSeconds / CpuSeconds;
}

/// <summary>
/// SBC speed on the bench task's MAF (Gaussian linear D = 5, 10,000 simulations), on the weights and SBC data that
/// python/bench_sbc_sbi.py trained with sbi and wrote (<c>maf.pt</c>, <c>sbc_data.npz</c>): <see cref="Sbc.RunSbc"/>
/// with L draws for each of the N observations, best of <c>repeats</c> runs after one warm-up, as the Python side
/// times sbi's <c>run_sbc</c>; wall time and process CPU time (on a shared machine the CPU time of a one-thread run
/// is what it would take alone). The entry point of <c>sbi-net bench sbc</c>.
/// </summary>
public static class SbcBench
{
    /// <summary>Runs the benchmark on the files in <paramref name="dir"/>.</summary>
    /// <exception cref="FileNotFoundException">maf.pt or sbc_data.npz is missing (run python/bench_sbc_sbi.py first).</exception>
    public static SbcBenchResult Run(string dir, int threads = 1, int posteriorSamples = 1000, int repeats = 3, int? observations = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(posteriorSamples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeats);
        string weights = Path.Combine(dir, "maf.pt"), data = Path.Combine(dir, "sbc_data.npz");
        foreach (var f in new[] { weights, data })
            if (!File.Exists(f)) throw new FileNotFoundException($"{f} not found: run python/bench_sbc_sbi.py --out {dir} first (it trains sbi's MAF and writes it)", f);
        set_num_threads(threads);
        using var scope = NewDisposeScope();
        var npz = Npz.Load(data);
        var thetas = npz["thetas"].ToTensor();
        var xs = npz["xs"].ToTensor();
        if (observations is { } n)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n, nameof(observations));
            thetas = thetas.narrow(0, 0, Math.Min(n, thetas.shape[0]));
            xs = xs.narrow(0, 0, thetas.shape[0]);
        }
        var prior = MultivariateNormal.Standard((int)thetas.shape[1]);
        var posterior = new DirectPosterior(SbiStateDict.Load(weights), prior);
        Sbc.RunSbc(thetas.narrow(0, 0, 10), xs.narrow(0, 0, 10), posterior, 100, logger: NullLogger.Instance).Dispose();   // warm-up
        var seconds = new double[repeats];
        var cpu = new double[repeats];
        using var process = Process.GetCurrentProcess();
        double Cpu() { process.Refresh(); return process.TotalProcessorTime.TotalSeconds; }
        SbcResult? last = null;
        for (int r = 0; r < repeats; r++)
        {
            last?.Dispose();
            double cpu0 = Cpu();
            var clock = Stopwatch.StartNew();
            last = Sbc.RunSbc(thetas, xs, posterior, posteriorSamples, logger: NullLogger.Instance);
            seconds[r] = clock.Elapsed.TotalSeconds;
            cpu[r] = Cpu() - cpu0;
        }
        var ks = Sbc.CheckUniformityFrequentist(last!.Ranks, posteriorSamples);
        last.Dispose();
        var (sbiSeconds, sbiCpu, sbiThreads, sbiKs) = ReadSbi(Path.Combine(dir, "sbi_sbc.json"));
        return new SbcBenchResult((int)thetas.shape[0], posteriorSamples, threads, seconds.Min(), seconds, cpu.Min(), ks, sbiSeconds, sbiCpu, sbiThreads, sbiKs);
    }

    private static (double?, double?, int?, double[]?) ReadSbi(string path)
    {
        if (!File.Exists(path)) return (null, null, null, null);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        double? cpu = root.TryGetProperty("cpu_seconds", out var c) ? c.GetDouble() : null;
        return (root.GetProperty("seconds").GetDouble(), cpu, root.GetProperty("threads").GetInt32(),
                root.GetProperty("ks_pvals").EnumerateArray().Select(v => v.GetDouble()).ToArray());
    }
}
