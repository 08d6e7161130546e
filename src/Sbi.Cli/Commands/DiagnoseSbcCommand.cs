using System.CommandLine;
using System.Diagnostics;
using Sbi.Diagnostics;
using Sbi.Plots;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// `sbi-net diagnose sbc`: sbi's <c>run_sbc</c> and <c>check_sbc</c> on a trained model and test simulations (θ from the
/// prior and their x): the rank of each true θ among the posterior draws at its x, per parameter (or of its log
/// posterior density with --reduce-fn log_prob); printed are the KS p-value of each rank column against uniformity, the
/// C2ST of the ranks against uniform draws and the C2ST of the data-averaged posterior against the prior. --plot draws
/// sbi's <c>sbc_rank_plot</c>, --out writes the results.
/// </summary>
internal static class DiagnoseSbcCommand
{
    /// <summary>The values of --reduce-fn: sbi's "marginals", or the posterior's log-probability (expected coverage).</summary>
    public static IReadOnlyList<string> ReduceFns { get; } = ["marginals", "log_prob"];

    public static Command Create(CliContext ctx)
    {
        var options = new DiagnoseOptions();
        var reduce = CliOptions.Choice("--reduce-fn", "what is ranked: each parameter (sbi's marginals) or the posterior's log-probability of θ", ReduceFns, "marginals");
        var plotType = CliOptions.Choice("--plot-type", "the rank plot's form: empirical CDFs in one panel or one histogram per rank column", PlotKinds.Ranks, PlotKinds.Cdf, "KIND");
        var cmd = new Command("sbc", "simulation-based calibration (sbi's run_sbc, check_sbc): rank statistics of the true θ among posterior draws; KS p-values and C2STs");
        options.AddTo(cmd);
        cmd.Options.Add(reduce);
        cmd.Options.Add(plotType);
        options.NumBins.Description = "bins of the rank plot (default N / 20, sbi's); at most N and L + 1; needs --plot";
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(options.NumBins) is not null && r.GetValue(options.Plot) is null) r.AddError("--num-bins sets the rank plot's bins; it needs --plot");
        });
        cmd.SetAction(p => Run(ctx, options.Read(p), p.GetValue(reduce)!, p.GetValue(plotType)!));
        return cmd;
    }

    private static int Run(CliContext ctx, DiagnoseOptions.Values v, string reduceFn, string plotType)
    {
        using var loaded = DiagnoseOptions.Prepare(ctx, v);
        long n = loaded.Observations;
        int l = v.NumPosteriorSamples;
        int? bins = v.Plot is null ? null
            : DiagnoseOptions.Bins(v.NumBins, n, 20, Math.Min(n, l + 1L), $"at most N = {n} ranks and L + 1 = {l + 1} rank values");
        var posterior = loaded.Posterior;
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        ctx.Err.WriteLine($"SBC: drawing {l} posterior samples at each of {n} observations");
        var reduceFns = reduceFn == "log_prob" ? new[] { Sbc.LogProb(posterior) } : null;
        using var sbc = Sbc.RunSbc(loaded.Data.Theta, loaded.Data.X, posterior, l, reduceFns, logger: ctx.Logger);
        var prior = posterior.Prior.Sample(sbc.DapSamples.shape[0]);
        var checks = Sbc.CheckSbc(sbc.Ranks, prior, sbc.DapSamples, l, logger: ctx.Logger);
        var rankLabels = reduceFn == "log_prob" ? new[] { "log_prob" } : Enumerable.Range(1, checks.KsPvals.Length).Select(j => $"dim {j}").ToArray();

        var o = ctx.Out;
        o.WriteLine($"SBC of {v.Model}: {sbc.Ranks.shape[0]} observations × {l} posterior samples, ranks of {reduceFn} ({clock.Elapsed.TotalSeconds:F1} s)");
        o.WriteLine($"{"rank of",-10} {"KS p-value",11} {"C2ST ranks",11}");
        for (int j = 0; j < checks.KsPvals.Length; j++) o.WriteLine($"{rankLabels[j],-10} {checks.KsPvals[j],11:G4} {checks.C2stRanks[j],11:F4}");
        o.WriteLine($"{"parameter",-10} {"C2ST DAP",11}   (data-averaged posterior against the prior)");
        for (int j = 0; j < checks.C2stDap.Length; j++) o.WriteLine($"{$"dim {j + 1}",-10} {checks.C2stDap[j],11:F4}");
        o.WriteLine("calibrated: KS p-values not small (above 0.05, say) and both C2STs near 0.5");

        if (v.Plot is not null)
        {
            DiagnoseOptions.CreateFolderOf(v.Plot);
            SbiPlots.SbcRankPlot(sbc.Ranks, l, v.Plot, bins, plotType, rankLabels);
            o.WriteLine($"wrote the rank plot ({plotType}, {bins} bins) to {v.Plot}");
        }
        if (v.Out is not null)
        {
            ResultsFile.Write(v.Out, [("diagnostic", "sbc"), ("model", v.Model), ("reduce_fn", reduceFn)],
            [
                ResultField.Scalar("num_observations", sbc.Ranks.shape[0]),
                ResultField.Scalar("num_posterior_samples", l),
                new("ks_pvals", checks.KsPvals),
                new("c2st_ranks", checks.C2stRanks),
                new("c2st_dap", checks.C2stDap),
            ]);
            o.WriteLine($"wrote the results to {v.Out}");
        }
        return ExitCodes.Success;
    }
}
