using System.CommandLine;
using System.Diagnostics;
using Sbi.Parity;
using Sbi.Parity.Checks;
using Sbi.Parity.Reference;

// sbi-parity: runs the parity cases of tests/parity against sbi's committed fixtures (recorded) and, where a Python
// with sbi is configured, against the live sbi; prints every measured value with its bound and the versions on both
// sides. Exit code 1 when any check fails, 2 for a usage error.
var mode = new Option<string>("--mode") { Description = "recorded, live or both", DefaultValueFactory = _ => "both" };
mode.AcceptOnlyFromAmong("recorded", "live", "both");
var slow = new Option<bool>("--slow") { Description = "add the from-scratch C2ST cases (live, minutes)" };
var filter = new Option<string>("--filter") { Description = "only case ids containing TEXT", DefaultValueFactory = _ => "" };
var fixtures = new Option<DirectoryInfo?>("--fixtures") { Description = "folder of the recorded fixtures (default: the ones next to the program)" };
var threads = new Option<int>("--threads") { Description = "torch threads", DefaultValueFactory = _ => 1 };
threads.Validators.Add(r =>
{
    int t = r.GetValueOrDefault<int>();
    if (t < 1 || t > Environment.ProcessorCount) r.AddError($"--threads must be between 1 and {Environment.ProcessorCount} (the cores here); got {t}");
});
var root = new RootCommand("Parity of Sbi.Net with Python sbi: log-probs, losses, Adam steps, samples, DirectPosterior, ONNX export (and C2ST " +
                           "with --slow); recorded fixtures always, the live sbi where configured (SBI_PARITY_* variables or " +
                           "/opt/sbi-ref/sbi-parity.json, see python/setup_sbi_reference.sh)")
{
    mode, slow, filter, fixtures, threads,
};
root.SetAction(parse => Run(parse.GetValue(mode)!, parse.GetValue(slow), parse.GetValue(filter)!, parse.GetValue(fixtures)?.FullName, parse.GetValue(threads)));
return root.Parse(args).Invoke();

static int Run(string mode, bool slow, string filter, string? fixtures, int threads)
{
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

    Console.WriteLine($"sbi-parity: {ParityReport.NetVersions()}");
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
    var versions = sources.Loaded.Where(b => b.Origin != "live").Select(b => ParityReport.Versions(b.Versions)).Distinct().ToList();
    Console.WriteLine($"recorded fixtures: {(versions.Count == 0 ? "none loaded" : string.Join("; ", versions))} ({sources.FixturesDir})");
    Console.WriteLine();
    Console.Write(ParityReport.Table(results));
    Console.WriteLine();
    Console.WriteLine(ParityReport.Summary(results));
    foreach (var f in results.Where(r => r.Status == CaseStatus.Fail && r.Note.Contains('\n')))
        Console.WriteLine($"\n{f.Case} ({f.Source}): {f.Note}");
    return results.Any(r => r.Status == CaseStatus.Fail) ? 1 : 0;
}
