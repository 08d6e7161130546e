using Sbi.Onnx.Export;
using Sbi.Onnx.Model;

namespace Sbi.Cli.Commands;

/// <summary>Exports a trained-model file to an ONNX posterior package (sample.onnx, log_prob.onnx, manifest.json).</summary>
internal static class ExportCommand
{
    public static int Run(CliArgs a)
    {
        string model = a.String("model") ?? throw new CliException("--model is required (a file written by sbi-net train)");
        string output = a.String("out") ?? throw new CliException("--out is required (the package folder to write)");
        bool noPrune = a.Flag("no-prune");
        a.EnsureAllUsed();
        var m = EstimatorModel.LoadNpz(model);
        var manifest = PosteriorExporter.Export(m, output, new ExportOptions { PruneAutoregressivePasses = !noPrune });
        Console.WriteLine($"exported {m.Estimator} (D={m.D}, C={m.C}) to {output}: {PosteriorExporter.SampleFile}, {PosteriorExporter.LogProbFile}, manifest.json (format version {manifest.FormatVersion})");
        return 0;
    }
}
