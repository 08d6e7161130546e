using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Sbi.Bench.Sbibm;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// <c>sbi-net bench sbibm</c>: sbibm's NPE benchmark on its tasks (see <see cref="SbibmBenchmark"/>). Per task and
/// budget: NPE trained once (or sequential NPE-B per observation with --rounds), 10,000 posterior samples per
/// observation, sbibm's C2ST against the reference samples; prints each observation, the mean ± sd beside sbibm's
/// published figure, and the wall-clock of simulation, training, sampling and C2ST; --out writes the rows as CSV.
/// </summary>
internal static class BenchSbibmCommand
{
    private sealed record Settings(string[] Tasks, int[] Sims, string Estimator, int Rounds, int[] Observations, string? Out, string Data,
                                   string? Save, int Seed, int Threads, int Samples, int BatchSize, int? MaxEpochs);

    public static Command Create(CliContext ctx)
    {
        var task = new Option<string[]>("--task")
        {
            Description = $"sbibm task(s), comma-separated: {string.Join(", ", SbibmTasks.Names)}, or all",
            HelpName = "T[,T…]",
            Required = true,
            CustomParser = ParseTasks,
        };
        var sims = CliOptions.IntList("--sims", "simulation budgets (all rounds together)", "1000,10000,100000", SbibmBenchmark.MinSimsPerRound);
        var estimator = new Option<string>("--estimator")
        {
            Description = $"density estimator (sbibm: nsf): {string.Join(", ", EstimatorFamilies.Names)}",
            HelpName = "NAME",
            DefaultValueFactory = _ => "nsf",
        };
        estimator.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (!EstimatorFamilies.Names.Contains(v, StringComparer.Ordinal))
                r.AddError($"--estimator must be one of {string.Join(", ", EstimatorFamilies.Names)}; got '{v}'");
        });
        var rounds = CliOptions.Int("--rounds", "1: NPE trained once per budget; N > 1: sequential NPE-B per observation, ⌊sims/N⌋ simulations a round (sbibm's SNPE row: 10 rounds of SNPE-C)", 1, 1, 100);
        var observations = new Option<int[]>("--observations")
        {
            Description = "sbibm observations to score: a range 1-10, a list 1,4,7 or both (1-3,8)",
            HelpName = "K[-K][,…]",
            DefaultValueFactory = _ => Enumerable.Range(1, 10).ToArray(),
            CustomParser = ParseObservations,
        };
        var output = CliOptions.Path("--out", "write the rows as CSV (task, sims, rounds, observation, c2st, seconds, …); its folder is created if missing");
        var data = CliOptions.Path("--data", "folder with sbibm's reference files <task>.npz (observations, reference_samples, true_parameters)",
                                   "DIR", defaultValue: Path.Combine("..", "shared", "sbibm"));
        var save = CliOptions.Path("--save", "write θ, x (one round) and every observation's samples there as .npy, for python/bench_sbibm_sbi.py", "DIR");
        var seed = CliOptions.Int("--seed", "seed of the simulations, weights and samples", 0, 0, 1_000_000);
        var threads = CliOptions.Threads();
        var samples = CliOptions.Int("--samples", "posterior samples per observation (sbibm: 10,000)", 10_000, 5, 1_000_000);
        var batch = CliOptions.Int("--batch-size", "training batch size before sbibm's cap at the simulations per round (sbibm: 10,000)",
                                   SbibmNpeSettings.SbibmTrainingBatchSize, 1);
        var maxEpochs = CliOptions.OptionalInt("--max-epochs", "epoch cap per training (as in sbi, up to N + 1 epochs run); default: until early stopping", 1);
        var cmd = new Command("sbibm", "sbibm's NPE benchmark: C2ST against sbibm's reference posteriors per observation, mean ± sd beside sbibm's published figure; Ctrl-C stops, writes the rows so far and exits 130")
        {
            task, sims, estimator, rounds, observations, output, data, save, seed, threads, samples, batch, maxEpochs,
        };
        cmd.SetAction(p => Run(ctx, new Settings(p.GetValue(task)!, p.GetValue(sims)!, p.GetValue(estimator)!, p.GetValue(rounds),
            p.GetValue(observations)!, p.GetValue(output), p.GetValue(data)!, p.GetValue(save), p.GetValue(seed), p.GetValue(threads),
            p.GetValue(samples), p.GetValue(batch), p.GetValue(maxEpochs))));
        return cmd;
    }

    private static string[] ParseTasks(ArgumentResult r)
    {
        // Every occurrence counts (--task a --task b is a,b): an option given twice is not silently half-read.
        var names = r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries))
                            .SelectMany(n => n == "all" ? SbibmTasks.Names : [n]).ToArray();
        if (names.Length == 0) { r.AddError("--task needs a task name"); return []; }
        foreach (var n in names)
            if (!SbibmTasks.Names.Contains(n, StringComparer.Ordinal))
            {
                r.AddError($"--task must be one of {string.Join(", ", SbibmTasks.Names)} or all; got '{n}'");
                return [];
            }
        return names.Distinct().ToArray();
    }

    /// <summary>"1-10", "2", "1,4,7", "1-3,8": observation numbers 1..10, in the order given, without repeats.</summary>
    internal static int[] ParseObservations(ArgumentResult r)
    {
        var text = string.Join(',', r.Tokens.Select(t => t.Value));
        var result = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                r.AddError($"--observations must be numbers or ranges such as 1-10 or 1,4,7; got '{text}' ('{part}')");
                return [];
            }
            int lo = int.Parse(ends[0], CultureInfo.InvariantCulture), hi = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (lo < 1 || hi > 10 || lo > hi)
            {
                r.AddError($"--observations: sbibm numbers its observations 1 to 10; got '{part}'");
                return [];
            }
            for (int k = lo; k <= hi; k++) if (!result.Contains(k)) result.Add(k);
        }
        return result.ToArray();
    }

    private static int Run(CliContext ctx, Settings s)
    {
        // Checks before any work: the reference files, --out and --save.
        PathChecks.InputFolder(s.Data, "--data");
        foreach (var t in s.Tasks) PathChecks.InputFile(Path.Combine(s.Data, t + ".npz"), "--data");
        if (s.Out is not null) PathChecks.Output(s.Out, "--out", isFolder: false);
        if (s.Save is not null) PathChecks.Output(s.Save, "--save", isFolder: true);
        foreach (var n in s.Sims)
            if (n / s.Rounds < SbibmBenchmark.MinSimsPerRound)
                throw new UsageException($"--sims {n} with --rounds {s.Rounds} leaves {n / s.Rounds} simulations a round; at least {SbibmBenchmark.MinSimsPerRound} are needed");

        set_num_threads(s.Threads);
        var o = ctx.Out;
        var settings = new SbibmNpeSettings
        {
            Estimator = s.Estimator, Rounds = s.Rounds, NumSamples = s.Samples, Seed = s.Seed, TrainingBatchSize = s.BatchSize, MaxEpochs = s.MaxEpochs,
        };
        o.WriteLine($"sbi-net bench sbibm: {string.Join(", ", s.Tasks)}; sims {string.Join(", ", s.Sims.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)))}; " +
                    $"{(s.Rounds == 1 ? "NPE (one round)" : $"sequential NPE-B, {s.Rounds} rounds")}; estimator {s.Estimator}, hidden 50, z-scored θ and x; " +
                    $"training batch min({s.BatchSize}, sims per round); {s.Samples:N0} samples per observation; seed {s.Seed}; {s.Threads} thread(s)");
        var rows = new List<SbibmRow>();
        var summaries = new List<(SbibmSummary Summary, double Sim, double Train, int Epochs, double Sample, double C2st)>();
        bool terminal = !Console.IsErrorRedirected && ReferenceEquals(ctx.Err, Console.Error);
        var progress = new Progress(ctx.Err, terminal);
        using var interrupt = Interrupt.Listen(ctx.Err);
        try
        {
            foreach (var name in s.Tasks)
            {
                using var task = SbibmTasks.Create(name);
                using var reference = SbibmReference.Load(Path.Combine(s.Data, name + ".npz"), task);
                var bench = new SbibmBenchmark(task, reference, settings) { SaveFolder = s.Save, Progress = progress, Logger = ctx.Logger };
                foreach (var n in s.Sims)
                {
                    o.WriteLine();
                    o.WriteLine($"{name}, {n:N0} simulations ({reference.SamplesPerObservation:N0} reference samples per observation)");
                    o.WriteLine($"{"obs",4} {"C2ST",7} {"train s",8} {"epochs",7} {"sample s",9} {"C2ST s",7}");
                    var cell = new List<SbibmRow>();
                    progress.OnScored = row =>
                    {
                        cell.Add(row);
                        rows.Add(row);
                        progress.Clear();
                        o.WriteLine($"{row.Observation,4} {row.C2st,7:F4} {row.TrainingSeconds,8:F2} {row.Epochs,7} {row.SamplingSeconds,9:F3} {row.C2stSeconds,7:F1}");
                        o.Flush();
                    };
                    bench.Run(n, s.Observations, interrupt.Token);
                    var sum = SbibmSummary.Of(cell);
                    double simS = s.Rounds == 1 ? cell[0].SimulationSeconds : cell.Sum(r => r.SimulationSeconds);
                    double trainS = s.Rounds == 1 ? cell[0].TrainingSeconds : cell.Sum(r => r.TrainingSeconds);
                    int epochs = s.Rounds == 1 ? cell[0].Epochs : cell.Sum(r => r.Epochs);
                    summaries.Add((sum, simS, trainS, epochs, cell.Sum(r => r.SamplingSeconds), cell.Sum(r => r.C2stSeconds)));
                    o.WriteLine(SummaryLine(summaries[^1]));
                }
            }
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            progress.Clear();
            if (s.Out is not null) WriteCsv(s.Out, rows);
            ctx.Err.WriteLine($"sbi-net: bench sbibm interrupted after {rows.Count} scored observation(s)" +
                              (s.Out is null ? "" : $"; wrote them to {s.Out}"));
            return ExitCodes.Interrupted;
        }
        finally
        {
            progress.Clear();
        }

        o.WriteLine();
        o.WriteLine("summary (C2ST mean ± sd over the observations; sbibm: published mean ± sd; training wall-clock)");
        foreach (var x in summaries) o.WriteLine(SummaryLine(x));
        if (s.Rounds > 1)
            o.WriteLine("note: sbibm's sequential row is SNPE-C (atomic loss, 10 atoms); Sbi.Net runs NPE-B (importance-weighted loss), a different method.");
        if (s.Out is not null)
        {
            WriteCsv(s.Out, rows);
            o.WriteLine($"wrote {rows.Count} rows to {s.Out}");
        }
        return ExitCodes.Success;
    }

    private static string SummaryLine((SbibmSummary S, double Sim, double Train, int Epochs, double Sample, double C2st) x)
    {
        var p = x.S.Published;
        string published = p is { } f ? $"sbibm {(x.S.Rounds == 1 ? "NPE" : "SNPE-C")} {f}" : "sbibm: no figure";
        string verdict = p is { } g ? (x.S.Mean <= g.Mean ? "at or below" : $"above by {x.S.Mean - g.Mean:F3}") : "";
        return $"{x.S.Task,-24} {x.S.Sims,7:N0}  C2ST {x.S.Mean:F3} ± {x.S.Sd:F3} ({x.S.Count} obs)  {published}  {verdict}  |  " +
               $"simulation {x.Sim:F2} s, training {x.Train:F1} s ({x.Epochs} epochs), sampling {x.Sample:F1} s, C2ST {x.C2st:F0} s";
    }

    private static void WriteCsv(string path, IReadOnlyList<SbibmRow> rows)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        Sbi.Numpy.AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            w.WriteLine(SbibmRow.CsvHeader);
            foreach (var r in rows) w.WriteLine(r.ToCsv());
        });
    }

    /// <summary>The benchmark's progress: one line rewritten in place on a terminal; plain stage lines otherwise.</summary>
    private sealed class Progress(TextWriter err, bool terminal) : ISbibmProgress
    {
        private string _stage = "";
        private bool _dirty;

        public void Stage(string task, int sims, string stage)
        {
            _stage = $"{task}, {sims:N0} sims: {stage}";
            if (terminal) Draw(_stage);
            else if (!stage.Contains("sampling", StringComparison.Ordinal) && !stage.Contains("C2ST", StringComparison.Ordinal))
                err.WriteLine(_stage);
        }

        public void Epoch(int round, int epoch, double bestValidationLoss)
        {
            if (terminal && epoch % 5 == 0) Draw($"{_stage}, epoch {epoch}, best validation loss {bestValidationLoss:F4}");
        }

        public Action<SbibmRow>? OnScored { get; set; }

        public void Scored(SbibmRow row) => OnScored?.Invoke(row);

        public void Clear()
        {
            if (!_dirty) return;
            err.Write("\r\u001b[2K");
            err.Flush();
            _dirty = false;
        }

        private void Draw(string line)
        {
            err.Write("\r\u001b[2K" + line);
            err.Flush();
            _dirty = true;
        }
    }
}
