using System.Diagnostics;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.Inference;
using Sbi.IO;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// Trains NPE-B (one round) on simulations saved by Python: --theta/--x .npy files or --data (.npz with named arrays,
/// torch .pt, pickle) and writes a trained-model file.
/// </summary>
internal static class TrainCommand
{
    public static int Run(CliArgs a)
    {
        string? thetaPath = a.String("theta"), xPath = a.String("x"), dataPath = a.String("data");
        string thetaName = a.String("theta-name", "theta")!, xName = a.String("x-name", "x")!;
        string priorSpec = a.String("prior") ?? throw new CliException("--prior is required (box:LOW,HIGH or normal)");
        string estimator = a.String("estimator", "maf")!;
        string output = a.String("out") ?? throw new CliException("--out is required (the model file to write)");
        string? xo = a.String("x-o");
        int seed = a.Int("seed", 0), threads = a.Int("threads", 1), batch = a.Int("batch-size", 200), maxEpochs = a.Int("max-epochs", int.MaxValue);
        double lr = a.Double("lr", 5e-4), valFrac = a.Double("validation-fraction", 0.1);
        a.EnsureAllUsed();
        if ((dataPath is null) == (thetaPath is null || xPath is null))
            throw new CliException("give either --theta and --x, or --data");
        set_num_threads(threads);
        manual_seed(seed);
        using var data = dataPath is not null ? SimulationData.LoadFile(dataPath, thetaName, xName) : SimulationData.Load(thetaPath!, xPath!);
        Console.WriteLine($"loaded {data}");
        if (data.InvalidRowCount > 0) Console.WriteLine($"{data.InvalidRowCount} row(s) with NaN/inf x will be excluded (round 0).");
        var prior = PriorSpec.Parse(priorSpec, (int)data.ThetaDim);
        var npe = new NpeB(prior, estimator);
        var clock = Stopwatch.StartNew();
        npe.AppendSimulations(data.Theta, data.X).Train(trainingBatchSize: batch, learningRate: lr, validationFraction: valFrac, maxNumEpochs: maxEpochs);
        var posterior = npe.BuildPosterior();
        if (xo is not null) posterior.SetDefaultX(XSpec.Parse(xo, "--x-o"));
        ModelFile.Save(output, posterior);
        Console.WriteLine($"trained {estimator} in {clock.Elapsed.TotalSeconds:F1} s: {npe.Summary.EpochsTrained[^1]} epochs, best validation loss {npe.Summary.BestValidationLoss[^1]:F5}");
        Console.WriteLine($"wrote {output}");
        return 0;
    }
}
