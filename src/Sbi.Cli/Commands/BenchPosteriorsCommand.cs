using System.CommandLine;
using System.Globalization;
using Sbi.Bench;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// The posterior benchmark (issue 14): on the Gaussian linear task of <c>bench train</c> one estimator is trained once,
/// then every method (direct, rejection, importance, the MCMC samplers) is timed for --samples samples and compared
/// with the analytic posterior by C2ST (<see cref="PosteriorBench"/>). --out DIR keeps what sbi needs
/// (<see cref="PosteriorBenchFolder"/>); --sbi runs python/bench_posteriors_sbi.py on it right after and prints both
/// sides in one table. Ctrl-C stops after the current training batch or MCMC draw and exits 130.
/// </summary>
internal static class BenchPosteriorsCommand
{
    public static Command Create(CliContext ctx)
    {
        var sims = CliOptions.Int("--sims", "simulations", 10_000, 20);
        var dim = CliOptions.Int("--dim", "θ and x dimension D", 5, 1);
        var samples = CliOptions.Int("--samples", "samples per method", 10_000, 1);
        var sliceNp = CliOptions.Int("--slice-np-samples", "slice_np's own sample count (one chain after another: slow in sbi too); the smaller of it and --samples is used", 1_000, 1);
        var c2stSamples = CliOptions.Int("--c2st-samples", "samples per side in each C2ST", 5_000, PosteriorBench.MinimumC2stSamples);
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var threads = CliOptions.Threads();
        var estimator = CliOptions.Estimator();
        var maxEpochs = CliOptions.OptionalInt("--max-epochs", "epoch cap (as in sbi, up to N + 1 epochs run); default: until early stopping", 1);
        var methods = new Option<string[]>("--methods")
        {
            Description = $"comma-separated methods: {string.Join(", ", PosteriorBenchSettings.AllMethods)}",
            HelpName = "M,M,…",
            DefaultValueFactory = _ => [.. PosteriorBenchSettings.DefaultMethods],
            CustomParser = r => (r.Tokens.Count > 0 ? r.Tokens[0].Value : "").Split(',', StringSplitOptions.TrimEntries),
        };
        methods.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string[]>() ?? [];
            if (v.FirstOrDefault(m => !PosteriorBenchSettings.AllMethods.Contains(m, StringComparer.Ordinal)) is { } bad)
                r.AddError($"--methods: every value must be one of {string.Join(", ", PosteriorBenchSettings.AllMethods)}; got '{bad}'");
            else if (v.GroupBy(m => m).FirstOrDefault(g => g.Count() > 1) is { } twice)
                r.AddError($"--methods names '{twice.Key}' twice");
        });
        var numChains = CliOptions.Int("--num-chains", "MCMC chains", 20, 1);
        var warmup = CliOptions.Int("--warmup", "MCMC warm-up draws per chain", 200, 0);
        var maxTime = CliOptions.Double("--max-sampling-time", "rejection sampling's time limit in seconds, on both sides (the samples found by then are kept)", 60, 0, 1e9);
        var observation = new Option<string>("--observation")
        {
            Description = "x_o: drawn (after the simulations, as bench train draws it) or zeros (x_o = 0, the observation of sbi's accuracy tests)",
            HelpName = "drawn|zeros",
            DefaultValueFactory = _ => "drawn",
        };
        observation.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (!PosteriorBenchSettings.Observations.Contains(v, StringComparer.Ordinal))
                r.AddError($"--observation must be one of {string.Join(", ", PosteriorBenchSettings.Observations)}; got '{v}'");
        });
        var viIterations = CliOptions.Int("--vi-iterations", "VI training iterations, run in full on both sides (sbi's max_num_iters)", 2000, 1);
        var viParticles = CliOptions.Int("--vi-particles", "VI particles per iteration (sbi's n_particles)", 256, 1);
        var output = CliOptions.Path("--out", "write the weights (sbi state dict), config, θ, x, x_o, settings and Sbi.Net's samples here, for python/bench_posteriors_sbi.py", "DIR");
        var sbi = new Option<bool>("--sbi") { Description = "also run python/bench_posteriors_sbi.py (Python sbi on the same weights) and print both sides" };
        var cmd = new Command("posteriors", "direct, rejection, importance, MCMC and VI posteriors on the Gaussian linear task: seconds, samples/s, C2ST, diagnostics; --sbi beside Python sbi")
        {
            sims, dim, samples, sliceNp, c2stSamples, seed, threads, estimator, maxEpochs, methods, numChains, warmup, maxTime, observation,
            viIterations, viParticles, output, sbi,
        };
        cmd.SetAction(p => Run(ctx, new PosteriorBenchSettings
        {
            Sims = p.GetValue(sims), Dim = p.GetValue(dim), Samples = p.GetValue(samples), SliceNpSamples = p.GetValue(sliceNp),
            C2stSamples = p.GetValue(c2stSamples), Seed = p.GetValue(seed), Threads = p.GetValue(threads), Estimator = p.GetValue(estimator)!,
            MaxEpochs = p.GetValue(maxEpochs) ?? int.MaxValue, Methods = p.GetValue(methods)!, NumChains = p.GetValue(numChains),
            WarmupSteps = p.GetValue(warmup), RejectionMaxSeconds = p.GetValue(maxTime), Observation = p.GetValue(observation)!,
            ViIterations = p.GetValue(viIterations), ViParticles = p.GetValue(viParticles),
        }, p.GetValue(output), p.GetValue(sbi)));
        return cmd;
    }

    private static int Run(CliContext ctx, PosteriorBenchSettings settings, string? outDir, bool withSbi)
    {
        var o = ctx.Out;
        // Checks before work: the reference (with --sbi), the output folder, the settings.
        SbiReference? reference = null;
        if (withSbi)
        {
            reference = SbiReference.Discover(out var reason) ?? throw new UsageException($"--sbi needs the Python reference (sbi on a Python with numpy): {reason}");
            SbiReference.ScriptPath();
        }
        if (outDir is not null) PathChecks.Output(outDir, "--out", isFolder: true);
        settings.Validated();
        foreach (var m in settings.Methods) SampleBudget.Check(settings.SamplesFor(m), settings.Dim);

        set_num_threads(settings.Threads);
        using var task = GaussianLinearTask.Draw(settings.Sims, settings.Dim, settings.Seed, observationAtZero: settings.Observation == "zeros");
        o.WriteLine($"sbi-net bench posteriors: Gaussian linear D={settings.Dim}, {settings.Sims} simulations, estimator {settings.Estimator}, " +
                    $"seed {settings.Seed}, {settings.Threads} thread(s)");
        o.WriteLine($"x_o ({settings.Observation}) {string.Join(" ", task.XO.data<float>().ToArray().Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))}");
        using var interrupt = Interrupt.Listen(ctx.Err, "sbi-net: interrupted; stopping after the current training batch or MCMC draw (Ctrl-C again to quit at once)");
        PosteriorBenchEstimator trained;
        try
        {
            trained = PosteriorBench.Train(task, settings, interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            ctx.Err.WriteLine("sbi-net: bench posteriors interrupted during training (no timings, no files written)");
            return ExitCodes.Interrupted;
        }
        o.WriteLine($"trained: {trained.Epochs} epochs in {trained.Seconds:F1} s ({trained.Backend})");
        PosteriorBench.WarmUp(task, trained.Estimator);
        using var analytic = task.AnalyticPosteriorSamples(settings.C2stSamples, settings.Seed + PosteriorBench.AnalyticSeedOffset);
        var fitted = settings.Methods.Any(PosteriorBenchSettings.UsesFittedProposal)
            ? PosteriorBench.FitProposal(task, trained.Estimator, settings.Seed) : ((Tensor Mean, Tensor Covariance)?)null;
        using var fittedProposal = fitted is { } f ? new Sbi.Distributions.MultivariateNormal(f.Mean, f.Covariance) : null;
        if (fitted is { } fp)
            o.WriteLine($"fitted proposal: N(mean of {PosteriorBenchSettings.FittedProposalSamples:N0} direct samples, {PosteriorBenchSettings.FittedProposalInflation:G}× their covariance); " +
                        $"standard deviations {string.Join(" ", fp.Covariance.diagonal().sqrt().data<float>().ToArray().Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))}");

        var results = new List<(PosteriorBenchRow Row, Tensor? Samples)>();
        try
        {
            foreach (var method in settings.Methods)
            {
                if (interrupt.Requested) break;
                ctx.Err.WriteLine($"{method}: {settings.SamplesFor(method):N0} samples …");
                try
                {
                    var result = PosteriorBenchSettings.SampleWithOf(method) == "mcmc"
                        ? McmcProgressDisplay.Run(ctx, method, progress =>
                            PosteriorBench.RunMethod(task, trained.Estimator, settings, method, analytic, progress, ctx.Logger, interrupt.Token, fittedProposal))
                        : PosteriorBench.RunMethod(task, trained.Estimator, settings, method, analytic, null, ctx.Logger, interrupt.Token, fittedProposal);
                    results.Add(result);
                    ctx.Err.WriteLine($"{method}: {Row(result.Row)}");
                }
                catch (OperationCanceledException) when (interrupt.Requested)
                {
                    break;
                }
            }
            if (interrupt.Requested)
            {
                ctx.Err.WriteLine("sbi-net: bench posteriors interrupted (no files written)");
                return ExitCodes.Interrupted;
            }
            o.WriteLine();
            o.WriteLine($"{"method",-20} {"samples",8} {"seconds",9} {"samples/s",11} {"C2ST",6}  diagnostics");
            foreach (var (row, _) in results) o.WriteLine($"{row.Method,-20} {Row(row)}");
            o.WriteLine($"C2ST against {settings.C2stSamples:N0} exact posterior draws N(x_o/1.01, 0.01/1.01·I) (fewer where fewer samples; none below {PosteriorBench.MinimumC2stSamples}); " +
                        $"rejection stops after {settings.RejectionMaxSeconds:G} s; slice_np draws {settings.SamplesFor("slice_np"):N0}; " +
                        $"VI seconds are training ({settings.ViIterations:N0} iterations × {settings.ViParticles} particles + {settings.ViWarmUpRounds} warm-up) plus sampling");

            string? folder = outDir ?? (withSbi ? Path.Combine(Path.GetTempPath(), $"sbi-net-bench-posteriors-{Guid.NewGuid():N}") : null);
            try
            {
                if (folder is not null)
                {
                    PosteriorBenchFolder.Write(folder, settings, task, trained, results, fitted);
                    if (outDir is not null) o.WriteLine($"wrote the bench folder {outDir} (run python3 python/bench_posteriors_sbi.py {outDir} for sbi's side)");
                }
                if (reference is not null) CompareWithSbi(ctx, reference, folder!, settings, results, analytic, interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                ctx.Err.WriteLine("sbi-net: bench posteriors interrupted while sbi ran");
                return ExitCodes.Interrupted;
            }
            finally
            {
                if (outDir is null && folder is not null)
                    try { Directory.Delete(folder, true); } catch (IOException) { }
            }
        }
        finally
        {
            foreach (var (_, s) in results) s?.Dispose();
        }
        var failed = results.Where(r => r.Row.Failure is not null).Select(r => r.Row.Method).ToList();
        if (failed.Count > 0)
        {
            ctx.Err.WriteLine($"{CliErrors.Prefix}{failed.Count} method(s) failed: {string.Join(", ", failed)} (see the table)");
            return ExitCodes.Failure;
        }
        return ExitCodes.Success;
    }

    private static string Row(PosteriorBenchRow r) =>
        $"{r.Drawn,8:N0} {Num(r.Seconds, "F3"),9} {Num(r.SamplesPerSecond, "N0"),11} {Num(r.C2stAnalytic, "F3"),6}  {r.Diagnostics}";

    /// <summary>Runs sbi on the bench folder, then prints Sbi.Net and sbi side by side.</summary>
    private static void CompareWithSbi(CliContext ctx, SbiReference reference, string folder, PosteriorBenchSettings settings,
                                       List<(PosteriorBenchRow Row, Tensor? Samples)> results, Tensor analytic, CancellationToken token)
    {
        var o = ctx.Out;
        ctx.Err.WriteLine($"running python/{SbiReference.ScriptName} with {reference.Python} (settings from {reference.Source}) …");
        reference.RunBenchScript(folder, line => ctx.Err.WriteLine("  " + line), token);
        var (timings, versions) = PosteriorBenchFolder.ReadSbiTimes(folder);
        o.WriteLine();
        o.WriteLine($"Sbi.Net and sbi on the same weights ({versions}; {settings.Threads} thread(s) each):");
        o.WriteLine($"{"method",-20} {"Sbi.Net s",10} {"sbi s",10} {"sbi/Sbi.Net",12} {"C2ST Sbi.Net",13} {"C2ST sbi",9} {"C2ST(Sbi.Net,sbi)",18}  notes");
        foreach (var (row, ours) in results)
        {
            timings.TryGetValue(row.Method, out var t);
            using var theirs = PosteriorBenchFolder.ReadSbiSamples(folder, row.Method);
            double? sbiC2st = theirs is null ? null : PosteriorBench.C2st(theirs, analytic, settings.C2stSamples, settings.Seed);
            double? between = theirs is null || ours is null ? null : PosteriorBench.C2st(ours, theirs, settings.C2stSamples, settings.Seed);
            // Rates, not seconds: where rejection stopped at its time limit the two sides drew different counts.
            double? ratio = t?.Seconds is double ts && ts > 0 && t.Drawn > 0 && row.Drawn > 0 && row.Seconds > 0
                ? row.SamplesPerSecond / (t.Drawn / ts) : null;
            var notes = new List<string>();
            if (t?.Skipped is { } skipped) notes.Add("sbi skipped: " + skipped);
            else if (t?.SbiMethod is { } sm && sm != row.Method) notes.Add("sbi ran " + sm);
            if (t is not null && t.Skipped is null && t.Drawn != row.Drawn) notes.Add($"drawn {row.Drawn:N0} vs {t.Drawn:N0}");
            if (row.TrainingSeconds is double mine && t?.TrainingSeconds is double theirsT && mine > 0)
                notes.Add($"training {mine:F2} s vs {theirsT:F2} s (sbi/Sbi.Net {theirsT / mine:F2})");
            if (row.ParetoK is double k1 && t?.ParetoK is double k2 && row.TrainingSeconds is not null) notes.Add($"Pareto-k̂ {k1:F2} vs {k2:F2}");
            if (row.Failure is not null) notes.Add("Sbi.Net failed");
            o.WriteLine($"{row.Method,-20} {Num(row.Seconds, "F3"),10} {Num(t?.Seconds, "F3"),10} {Num(ratio, "F2"),12} {Num(row.C2stAnalytic, "F3"),13} " +
                        $"{Num(sbiC2st, "F3"),9} {Num(between, "F3"),18}  {string.Join("; ", notes)}");
        }
    }

    private static string Num(double? v, string format) =>
        v is double d && double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
}
