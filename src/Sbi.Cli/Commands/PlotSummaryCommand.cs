using System.CommandLine;
using Sbi.Numpy;
using Sbi.Plots;
using Sbi.Tracking;

namespace Sbi.Cli.Commands;

/// <summary>
/// `sbi-net plot summary`: sbi's <c>plot_summary</c> from TensorBoard event files (as written by
/// <c>sbi-net train --tracker tensorboard</c>): the training and validation loss per epoch, read back with
/// <see cref="TensorBoardEvents"/>. A missing log directory, one without event files, or one without these scalars is
/// an error naming --log-dir.
/// </summary>
internal static class PlotSummaryCommand
{
    /// <summary>The per-epoch tags plotted (sbi's trainer writes them per epoch, step = the epoch's index from 0).</summary>
    private static readonly string[] Tags = [TrackerTags.TrainingLoss, TrackerTags.ValidationLoss];

    public static Command Create(CliContext ctx)
    {
        var logDir = CliOptions.Path("--log-dir", "a TensorBoard run folder holding events.out.tfevents.* files (sbi-net train --log-dir)", "DIR", required: true);
        var title = new Option<string>("--title") { Description = "plot title (default: none)", HelpName = "TEXT" };
        var output = CliOptions.Path("--out", "the .png to write", required: true);
        var cmd = new Command("summary", "training and validation loss per epoch from TensorBoard event files, to a PNG (sbi's plot_summary)")
        {
            logDir, title, output,
        };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(output) is { } o && !o.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) r.AddError($"--out must name a .png file; got '{o}'");
        });
        cmd.SetAction(p => Run(ctx, p.GetValue(logDir)!, p.GetValue(title), p.GetValue(output)!));
        return cmd;
    }

    private static int Run(CliContext ctx, string logDir, string? title, string output)
    {
        PathChecks.InputFolder(logDir, "--log-dir");
        PathChecks.Output(output, "--out", isFolder: false);
        IReadOnlyDictionary<string, IReadOnlyList<ScalarPoint>> scalars;
        try
        {
            scalars = TensorBoardEvents.ReadScalars(logDir);
        }
        catch (ArgumentException e) when (e.ParamName == "logDir")
        {
            // The reader's message names its parameter (" (Parameter 'logDir')"); the user gave --log-dir.
            var message = e.Message;
            int tail = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
            throw new SbiDataException("--log-dir", tail > 0 ? message[..tail] : message, e);
        }
        var series = Tags.Where(scalars.ContainsKey)
                         .ToDictionary(t => t, t => (IReadOnlyList<(double Epoch, double Value)>)scalars[t].Select(p => (p.Step + 1.0, p.Value)).ToList());
        if (series.Count == 0)
            throw new SbiDataException("--log-dir", $"'{logDir}' holds no {string.Join(" or ", Tags)} scalars (its scalar tags: " +
                                                    $"[{string.Join(", ", scalars.Keys)}]); write them with sbi-net train --tracker tensorboard --log-dir DIR");
        DiagnoseOptions.CreateFolderOf(output);
        SbiPlots.PlotSummary(series, output, title);
        ctx.Out.WriteLine($"wrote {string.Join(" and ", series.Select(s => $"{s.Key} ({s.Value.Count} epochs)"))} to {output}");
        return ExitCodes.Success;
    }
}
