using System.CommandLine;
using System.Diagnostics;
using Sbi.Diagnostics;
using Sbi.Plots;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// `sbi-net diagnose tarp`: sbi's <c>run_tarp</c> and <c>check_tarp</c> (Lemos et al. 2023) on a trained model and test
/// simulations: the expected coverage of random reference points' balls at each credibility level α; printed are the
/// area to curve (ATC) and the KS p-value between the coverage curve and the diagonal. --plot draws sbi's
/// <c>plot_tarp</c>, --out writes ATC, p-value, ECP and α.
/// </summary>
internal static class DiagnoseTarpCommand
{
    /// <summary>The values of --distance: sbi's l2 (default) and l1.</summary>
    public static IReadOnlyList<string> Distances { get; } = ["l2", "l1"];

    public static Command Create(CliContext ctx)
    {
        var options = new DiagnoseOptions();
        var distance = CliOptions.Choice("--distance", "distance between the reference points and θ", Distances, "l2");
        var zScore = new Option<bool>("--z-score-theta")
        {
            Description = "scale each parameter by the range of the test θ first (sbi's default true; --z-score-theta false to keep the units)",
            DefaultValueFactory = _ => true,
        };
        var cmd = new Command("tarp", "tests of accuracy with random points (sbi's run_tarp, check_tarp): expected coverage against credibility; ATC and KS p-value");
        options.AddTo(cmd);
        cmd.Options.Add(distance);
        cmd.Options.Add(zScore);
        options.NumBins.Description = "bins of the coverage histogram (default N / 10, sbi's); at most N";
        cmd.SetAction(p => Run(ctx, options.Read(p), p.GetValue(distance)!, p.GetValue(zScore)));
        return cmd;
    }

    private static int Run(CliContext ctx, DiagnoseOptions.Values v, string distance, bool zScoreTheta)
    {
        using var loaded = DiagnoseOptions.Prepare(ctx, v);
        long n = loaded.Observations;
        int l = v.NumPosteriorSamples;
        int bins = DiagnoseOptions.Bins(v.NumBins, n, 10, n, $"N = {n} observations with finite x");
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        ctx.Err.WriteLine($"TARP: drawing {l} posterior samples at each of {n} observations");
        using var tarp = Tarp.RunTarp(loaded.Data.Theta, loaded.Data.X, loaded.Posterior, numPosteriorSamples: l,
                                      distance: distance == "l1" ? Tarp.L1 : Tarp.L2, numBins: bins, zScoreTheta: zScoreTheta, logger: ctx.Logger);
        var (atc, ksPvalue) = Tarp.CheckTarp(tarp.Ecp, tarp.Alpha);

        var o = ctx.Out;
        o.WriteLine($"TARP of {v.Model}: {n} observations × {l} posterior samples, {bins} bins, {distance} distance, z-score θ {zScoreTheta.ToString().ToLowerInvariant()} " +
                    $"({clock.Elapsed.TotalSeconds:F1} s)");
        o.WriteLine($"ATC {atc:F4}   KS p-value {ksPvalue:G4}");
        o.WriteLine("calibrated: ATC near 0 and the KS p-value not small; ATC above 0: under-confident (too wide), below 0: over-confident (too narrow)");

        if (v.Plot is not null)
        {
            DiagnoseOptions.CreateFolderOf(v.Plot);
            SbiPlots.PlotTarp(tarp.Ecp, tarp.Alpha, v.Plot, $"TARP: ATC {atc:F3}, KS p {ksPvalue:G3}");
            o.WriteLine($"wrote the coverage plot to {v.Plot}");
        }
        if (v.Out is not null)
        {
            ResultsFile.Write(v.Out, [("diagnostic", "tarp"), ("model", v.Model), ("distance", distance)],
            [
                ResultField.Scalar("num_observations", n),
                ResultField.Scalar("num_posterior_samples", l),
                ResultField.Scalar("atc", atc),
                ResultField.Scalar("ks_pval", ksPvalue),
                new("ecp", Doubles(tarp.Ecp)),
                new("alpha", Doubles(tarp.Alpha)),
            ]);
            o.WriteLine($"wrote the results to {v.Out}");
        }
        return ExitCodes.Success;
    }

    private static double[] Doubles(Tensor t)
    {
        using var d = t.to(ScalarType.Float64, CPU);
        return d.data<double>().ToArray();
    }
}
