using System.Diagnostics;
using Sbi.Parity;
using Sbi.Parity.Checks;
using Sbi.Parity.Reference;

namespace Sbi.Cli.Commands;

/// <summary>
/// <c>sbi-net parity</c>: runs the parity cases of tests/parity against sbi's committed fixtures (recorded) and, where
/// a Python with sbi is configured, against the live sbi; prints every measured error with its tolerance and the
/// versions on both sides. Exit code 1 when any check fails.
/// Options: --mode recorded|live|both (both), --slow (add the from-scratch C2ST cases, minutes),
/// --filter TEXT (case ids containing TEXT), --fixtures DIR, --threads N (1).
/// </summary>
internal static class ParityCommand
{
    public const string Usage = """
          parity                parity with Python sbi: log-probs, losses, Adam step, samples, DirectPosterior, ONNX export (and C2ST
                                with --slow); recorded fixtures always, the live sbi where configured (SBI_PARITY_* or
                                /opt/sbi-ref/sbi-parity.json, see python/setup_sbi_reference.sh)
                                options: --mode recorded|live|both --slow --filter TEXT --fixtures DIR --threads N
        """;

    public static int Run(CliArgs a)
    {
        string mode = a.String("mode", "both")!;
        bool slow = a.Flag("slow");
        string filter = a.String("filter", "")!;
        string? fixtures = a.String("fixtures");
        int threads = a.Int("threads", 1);
        a.EnsureAllUsed();
        if (mode is not ("recorded" or "live" or "both")) throw new CliException($"--mode must be recorded, live or both; got '{mode}'");
        TorchSharp.torch.set_num_threads(threads);

        var modes = mode switch
        {
            "recorded" => new[] { ParityMode.Recorded },
            "live" => new[] { ParityMode.Live },
            _ => new[] { ParityMode.Recorded, ParityMode.Live },
        };
        using var reference = SbiReference.Shared;
        var sources = new ParitySources(reference, fixtures);
        string liveStatus = "not requested";
        if (modes.Contains(ParityMode.Live))
            liveStatus = reference.IsAvailable(out var why) ? $"{ParityReport.Versions(reference.Versions)} (from {reference.Source})" : $"not available: {why}";

        Console.WriteLine($"sbi-net parity: {ParityReport.NetVersions()}");
        Console.WriteLine($"live sbi: {liveStatus}");
        var cases = ParityCatalog.All.Where(c => c.Id.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        var results = new List<CaseResult>();
        var clock = Stopwatch.StartNew();
        foreach (var m in modes)
        {
            if (m == ParityMode.Live && !reference.IsAvailable(out _))
            {
                Console.WriteLine("live cases skipped (see the reason above)");
                continue;
            }
            foreach (var c in cases.Where(c => c.Supports(m) && (slow || !(c.Slow && m == ParityMode.Live))))
            {
                // Plain progress on stderr: long live cases would otherwise look like a hang in CI logs.
                Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {m.ToString().ToLowerInvariant()} {c.Id}");
                results.AddRange(ParityRunner.Run(c, m, sources));
            }
        }
        Console.WriteLine($"recorded fixtures: {RecordedVersions(sources)} ({sources.FixturesDir})");
        Console.WriteLine();
        Console.Write(ParityReport.Table(results));
        Console.WriteLine();
        Console.WriteLine(ParityReport.Summary(results));
        foreach (var f in results.Where(r => r.Status == CaseStatus.Fail && r.Note.Contains('\n')))
            Console.WriteLine($"\n{f.Case} ({f.Source}): {f.Note}");
        return results.Any(r => r.Status == CaseStatus.Fail) ? 1 : 0;
    }

    private static string RecordedVersions(ParitySources sources)
    {
        var distinct = sources.Loaded.Where(b => b.Origin != "live").Select(b => ParityReport.Versions(b.Versions)).Distinct().ToList();
        return distinct.Count == 0 ? "none loaded" : string.Join("; ", distinct);
    }
}
