using System.CommandLine;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;

namespace Sbi.Cli.Commands;

/// <summary>Exports a trained-model file to an ONNX posterior package (sample.onnx, log_prob.onnx, manifest.json).</summary>
internal static class ExportCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = CliOptions.Path("--model", "a model file written by sbi-net train", required: true);
        var output = CliOptions.Path("--out", "the package folder to write", "FOLDER", required: true);
        var noPrune = new Option<bool>("--no-prune") { Description = "MAF/made sampling: unroll D full masked passes per MADE, as nflows does, instead of computing each hidden unit once (the default, exact)" };
        var cmd = new Command("export", "ONNX posterior package from a model file (for sbi-net sample --package and ONNX Runtime serving)")
        {
            model, output, noPrune,
        };
        cmd.SetAction(p => Run(ctx, p.GetValue(model)!, p.GetValue(output)!, p.GetValue(noPrune)));
        return cmd;
    }

    private static int Run(CliContext ctx, string model, string output, bool noPrune)
    {
        PathChecks.InputFile(model, "--model");
        PathChecks.Output(output, "--out", isFolder: true, (model, "--model"));
        var m = EstimatorModel.LoadNpz(model);
        var manifest = PosteriorExporter.Export(m, output, new ExportOptions { PruneAutoregressivePasses = !noPrune });
        ctx.Out.WriteLine($"exported {m.Estimator} (D={m.D}, C={m.C}) to {output}: {PosteriorExporter.SampleFile}, {PosteriorExporter.LogProbFile}, manifest.json (format version {manifest.FormatVersion})");
        return ExitCodes.Success;
    }
}
