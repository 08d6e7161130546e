using System.CommandLine;
using System.Diagnostics;
using Sbi.Data;
using Sbi.IO;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// Draws posterior samples and writes them as .npy (atomically: an interrupted write leaves any old file as it was):
/// from an ONNX package (--package, ONNX Runtime, no TorchSharp at sampling time) or from a trained-model file
/// (--model, TorchSharp DirectPosterior).
/// </summary>
internal static class SampleCommand
{
    private sealed record Settings(string? Model, string? Package, XSpec? X, int N, int Seed, int Threads, string Out, TimeSpan? MaxSamplingTime);

    public static Command Create(CliContext ctx)
    {
        var model = CliOptions.Path("--model", "a model file written by sbi-net train (TorchSharp sampling)");
        var package = CliOptions.Path("--package", "an ONNX posterior package folder written by sbi-net export (ONNX Runtime sampling)", "FOLDER");
        var x = CliOptions.Observation("--x", "the observation to condition on (default: the model's --x-o)");
        var n = CliOptions.Int("-n", "number of samples", 1000, 1, int.MaxValue, null, "--n");
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var threads = CliOptions.Threads();
        var output = CliOptions.Path("--out", "the .npy file to write, shape (n, D)", defaultValue: "samples.npy");
        var maxTime = CliOptions.MaxSamplingTime();
        var cmd = new Command("sample", "posterior samples from a model file (--model) or an ONNX package (--package), written as .npy")
        {
            model, package, x, n, seed, threads, output, maxTime,
        };
        cmd.Validators.Add(r =>
        {
            bool hasModel = r.GetValue(model) is not null, hasPackage = r.GetValue(package) is not null;
            if (hasModel == hasPackage) r.AddError("give either --package (ONNX) or --model (model file)");
            if (hasPackage && r.GetValue(x) is null) r.AddError("--x is required with --package");
            // OnnxPosterior.Sample has no time limit yet; refusing beats ignoring the option silently.
        });
        cmd.SetAction(p => Run(ctx, new Settings(p.GetValue(model), p.GetValue(package), p.GetValue(x), p.GetValue(n), p.GetValue(seed),
            p.GetValue(threads), p.GetValue(output)!, p.GetValue(maxTime))));
        return cmd;
    }

    private static int Run(CliContext ctx, Settings s)
    {
        if (s.Model is not null) PathChecks.InputFile(s.Model, "--model");
        if (s.Package is not null) PathChecks.InputFolder(s.Package, "--package");
        if (s.X?.NpyPath is { } xPath) PathChecks.InputFile(xPath, "--x");
        PathChecks.Output(s.Out, "--out", isFolder: false, (s.Model, "--model"), (s.Package, "--package"), (s.X?.NpyPath, "--x"));
        return s.Package is not null ? FromPackage(ctx, s) : FromModel(ctx, s);
    }

    private static int FromModel(CliContext ctx, Settings s)
    {
        set_num_threads(s.Threads);
        manual_seed(s.Seed);
        var posterior = ModelFile.Load(s.Model!);
        long dim = posterior.PosteriorEstimator.Config.D;
        SampleBudget.Check(s.N, dim);
        using var x = s.X is not null ? s.X.ToTensor(posterior.PosteriorEstimator.Config.XShape, "the model's") : null;
        var xo = x ?? posterior.DefaultX ?? throw new UsageException("--x is required: the model has no default x (train with --x-o to store one)");
        var clock = Stopwatch.StartNew();
        using var samples = posterior.Sample(s.N, xo, maxSamplingTime: s.MaxSamplingTime);
        var array = samples.ToNpy();
        AtomicFile.Write(s.Out, stream => Npy.Write(stream, array));
        ctx.Out.WriteLine($"wrote {s.N} samples ({samples.shape[1]} parameters) to {s.Out} in {clock.Elapsed.TotalSeconds:F2} s");
        return ExitCodes.Success;
    }

    private static int FromPackage(CliContext ctx, Settings s)
    {
        using var posterior = Sbi.Onnx.Runtime.OnnxPosterior.Load(s.Package!, new Sbi.Onnx.Runtime.OnnxPosteriorOptions { IntraOpThreads = s.Threads });
        var x = s.X!.Values();
        SampleBudget.Check(s.N, posterior.D);
        var clock = Stopwatch.StartNew();
        var samples = posterior.Sample(s.N, x, new Random(s.Seed), s.MaxSamplingTime);
        var flat = new float[samples.Length];
        Buffer.BlockCopy(samples, 0, flat, 0, flat.Length * sizeof(float));
        var array = NpyArray.FromFloat32(flat, new long[] { samples.GetLength(0), samples.GetLength(1) });
        AtomicFile.Write(s.Out, stream => Npy.Write(stream, array));
        ctx.Out.WriteLine($"wrote {s.N} samples ({samples.GetLength(1)} parameters) to {s.Out} in {clock.Elapsed.TotalSeconds:F2} s (ONNX Runtime, {posterior.ExecutionProvider})");
        return ExitCodes.Success;
    }
}
