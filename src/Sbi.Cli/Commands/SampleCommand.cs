using System.Diagnostics;
using Sbi.Compat;
using Sbi.IO;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>Draws posterior samples from a trained-model file (TorchSharp DirectPosterior) and writes them as .npy.</summary>
internal static class SampleCommand
{
    public static int Run(CliArgs a)
    {
        string model = a.String("model") ?? throw new CliException("--model is required (a file written by sbi-net train)");
        string? xs = a.String("x");
        int n = a.Int("n", 1000), seed = a.Int("seed", 0), threads = a.Int("threads", 1);
        string output = a.String("out", "samples.npy")!;
        a.EnsureAllUsed();
        if (n <= 0) throw new CliException($"-n must be positive; got {n}");
        set_num_threads(threads);
        manual_seed(seed);
        var posterior = ModelFile.Load(model);
        var x = xs is not null ? XSpec.Parse(xs, "--x") : posterior.DefaultX ?? throw new CliException("--x is required: the model has no default x");
        var clock = Stopwatch.StartNew();
        using var samples = posterior.Sample(n, x);
        Npy.Write(output, samples);
        Console.WriteLine($"wrote {n} samples ({samples.shape[1]} parameters) to {output} in {clock.Elapsed.TotalSeconds:F2} s");
        return 0;
    }
}
