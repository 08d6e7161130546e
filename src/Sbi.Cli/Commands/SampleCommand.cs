using System.Diagnostics;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.IO;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// Draws posterior samples and writes them as .npy: from an ONNX package (--package, ONNX Runtime, no TorchSharp
/// at sampling time) or from a trained-model file (--model, TorchSharp DirectPosterior).
/// </summary>
internal static class SampleCommand
{
    public static int Run(CliArgs a)
    {
        string? model = a.String("model"), package = a.String("package");
        string? xs = a.String("x");
        int n = a.Int("n", 1000), seed = a.Int("seed", 0), threads = a.Int("threads", 1);
        string output = a.String("out", "samples.npy")!;
        a.EnsureAllUsed();
        if (n <= 0) throw new CliException($"-n must be positive; got {n}");
        if ((model is null) == (package is null)) throw new CliException("give either --package (ONNX) or --model (model file)");
        if (package is not null) return FromPackage(package, xs, n, seed, threads, output);
        set_num_threads(threads);
        manual_seed(seed);
        var posterior = ModelFile.Load(model!);
        var x = xs is not null ? XSpec.Parse(xs, "--x") : posterior.DefaultX ?? throw new CliException("--x is required: the model has no default x");
        var clock = Stopwatch.StartNew();
        using var samples = posterior.Sample(n, x);
        Npy.Write(output, samples.ToNpy());
        Console.WriteLine($"wrote {n} samples ({samples.shape[1]} parameters) to {output} in {clock.Elapsed.TotalSeconds:F2} s");
        return 0;
    }

    private static int FromPackage(string package, string? xs, int n, int seed, int threads, string output)
    {
        if (xs is null) throw new CliException("--x is required with --package");
        using var posterior = Sbi.Onnx.Runtime.OnnxPosterior.Load(package, new Sbi.Onnx.Runtime.OnnxPosteriorOptions { IntraOpThreads = threads });
        var x = XSpec.ParseValues(xs, "--x");
        var clock = Stopwatch.StartNew();
        var samples = posterior.Sample(n, x, seed);
        var flat = new float[samples.Length];
        Buffer.BlockCopy(samples, 0, flat, 0, flat.Length * sizeof(float));
        Npy.Write(output, flat, new long[] { samples.GetLength(0), samples.GetLength(1) });
        Console.WriteLine($"wrote {n} samples ({samples.GetLength(1)} parameters) to {output} in {clock.Elapsed.TotalSeconds:F2} s (ONNX Runtime, {posterior.ExecutionProvider})");
        return 0;
    }
}
