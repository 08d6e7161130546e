using System.CommandLine;
using Sbi.Bench;

namespace Sbi.Cli.Commands;

/// <summary>
/// `sbi-net bench sbc`: SBC over N observations with L posterior samples each on the bench task's MAF (weights trained
/// by sbi, python/bench_sbc_sbi.py), Sbi.Net's time beside sbi's run_sbc on the same weights and data (see
/// <see cref="SbcBench"/>).
/// </summary>
internal static class BenchSbcCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = CliOptions.Path("--dir", "folder python/bench_sbc_sbi.py wrote (maf.pt, sbc_data.npz, sbi_sbc.json)", "DIR", required: true);
        var threads = CliOptions.Threads();
        var samples = CliOptions.Int("--posterior-samples", "posterior draws per observation L", 1000, 1);
        var repeats = CliOptions.Int("--repeats", "timed runs (the best is reported)", 3, 1, 100);
        var cmd = new Command("sbc", "SBC (1,000 observations × 1,000 posterior samples) on sbi's bench-task MAF, against sbi's run_sbc")
        {
            dir, threads, samples, repeats,
        };
        cmd.SetAction(p => Run(ctx, p.GetValue(dir)!, p.GetValue(threads), p.GetValue(samples), p.GetValue(repeats)));
        return cmd;
    }

    private static int Run(CliContext ctx, string dir, int threads, int samples, int repeats)
    {
        PathChecks.InputFolder(dir, "--dir");
        var r = SbcBench.Run(dir, threads, samples, repeats);
        var o = ctx.Out;
        o.WriteLine($"sbi-net bench sbc: {r.Observations} observations × {r.PosteriorSamples} posterior samples, {r.Threads} thread(s)");
        o.WriteLine($"Sbi.Net RunSbc      best {r.Seconds:F3} s wall of {string.Join(", ", r.AllSeconds.Select(s => s.ToString("F3")))}; best {r.CpuSeconds:F3} s CPU");
        o.WriteLine($"KS p-values         {string.Join(" ", r.KsPvals.Select(p => p.ToString("G3")))}");
        if (r.SbiSeconds is double s)
        {
            o.WriteLine($"sbi run_sbc         best {s:F3} s wall{(r.SbiCpuSeconds is double c ? $"; best {c:F3} s CPU" : "")} ({r.SbiThreads} thread(s)); " +
                        $"KS p-values {string.Join(" ", r.SbiKsPvals!.Select(p => p.ToString("G3")))}");
            o.WriteLine($"speed-up            {r.Speedup:F1}× wall{(r.CpuSpeedup is double cs ? $", {cs:F1}× CPU" : "")} (sbi's seconds / Sbi.Net's)");
        }
        else o.WriteLine("sbi run_sbc         not recorded (run python/bench_sbc_sbi.py --out DIR first)");
        return ExitCodes.Success;
    }
}
