using System.CommandLine;
using Sbi.Plots;

namespace Sbi.Cli.Commands;

/// <summary>
/// `sbi-net plot pairplot`: sbi's <c>pairplot</c> of samples from a .npy file (e.g. written by sbi-net sample) to a
/// PNG: each parameter's histogram on the diagonal, each pair's 2-D histogram, density contours or scatter above it
/// (--kind) and optionally below (--lower), reference points (--points, e.g. the true θ) over every panel.
/// </summary>
internal static class PlotPairCommand
{
    public static Command Create(CliContext ctx)
    {
        var samples = CliOptions.Path("--samples", "the samples to plot: a .npy file of shape (n, D)", required: true);
        var points = CliOptions.Path("--points", "reference points drawn over every panel (e.g. the true θ): a .npy file of shape (D) or (k, D)");
        var limits = PairPlotInputs.Limits();
        var labels = PairPlotInputs.Labels();
        var kind = CliOptions.Choice("--kind", "what the panels above the diagonal show", PlotKinds.OffDiagonal, PlotKinds.Hist, "KIND");
        var lower = CliOptions.Choice("--lower", "what the panels below the diagonal show; default: nothing (sbi's)", PlotKinds.OffDiagonal, null, "KIND");
        var bins = CliOptions.Int("--bins", "histogram bins (and the contours' density grid)", 50, 2, 1000);
        var title = new Option<string>("--title") { Description = "figure title (default: none)", HelpName = "TEXT" };
        var output = CliOptions.Path("--out", "the .png to write", required: true);
        var cmd = new Command("pairplot", "sbi's pairplot of samples (.npy) to a PNG: marginal histograms on the diagonal, pairwise histograms, contours or scatter off it")
        {
            samples, points, limits, labels, kind, lower, bins, title, output,
        };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(output) is { } o && !o.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) r.AddError($"--out must name a .png file; got '{o}'");
        });
        // System.CommandLine gives an absent array-typed option as an empty array: absent means the plot's defaults.
        cmd.SetAction(p => Run(ctx, p.GetValue(samples)!, p.GetValue(points), NullIfEmpty(p.GetValue(limits)), NullIfEmpty(p.GetValue(labels)), p.GetValue(kind)!, p.GetValue(lower),
                               p.GetValue(bins), p.GetValue(title), p.GetValue(output)!));
        return cmd;
    }

    private static T[]? NullIfEmpty<T>(T[]? values) => values is { Length: > 0 } ? values : null;

    private static int Run(CliContext ctx, string samplesPath, string? pointsPath, (double Lo, double Hi)[]? limits, string[]? labels, string kind,
                           string? lower, int bins, string? title, string output)
    {
        PathChecks.InputFile(samplesPath, "--samples");
        if (pointsPath is not null) PathChecks.InputFile(pointsPath, "--points");
        PathChecks.Output(output, "--out", isFolder: false, (samplesPath, "--samples"), (pointsPath, "--points"));
        var samples = PairPlotInputs.ReadMatrix(samplesPath, "--samples", vectorIsRow: false);
        int n = samples.GetLength(0), dim = samples.GetLength(1);
        if (!Enumerable.Range(0, n).Any(i => Enumerable.Range(0, dim).All(j => double.IsFinite(samples[i, j]))))
            throw new Sbi.Numpy.SbiDataException("--samples", $"{samplesPath}: none of its {n} rows is finite (rows with NaN or inf are left out)");
        PairPlotInputs.CheckAgainst(dim, limits, labels);
        double[][]? refs = null;
        if (pointsPath is not null)
        {
            var p = PairPlotInputs.ReadMatrix(pointsPath, "--points", vectorIsRow: true);
            if (p.GetLength(1) != dim)
                throw new UsageException($"--points has {p.GetLength(1)} value(s) per point, but --samples has {dim} dimensions");
            refs = Enumerable.Range(0, p.GetLength(0)).Select(i => Enumerable.Range(0, dim).Select(j => p[i, j]).ToArray()).ToArray();
        }
        DiagnoseOptions.CreateFolderOf(output);
        SbiPlots.PairPlot(samples, output, new PairPlotOptions
        {
            Points = refs, Limits = limits, Labels = labels, Upper = kind, Lower = lower, Bins = bins, Title = title,
        });
        ctx.Out.WriteLine($"wrote the pair plot of {n} samples × {dim} dimensions ({kind} above the diagonal{(lower is null ? "" : $", {lower} below")}) to {output}");
        return ExitCodes.Success;
    }
}
