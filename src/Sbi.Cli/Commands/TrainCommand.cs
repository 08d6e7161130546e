using System.CommandLine;
using System.Diagnostics;
using Sbi.Data;
using Sbi.Inference;
using Sbi.IO;
using Sbi.Tracking;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// Trains NPE-B (one round) on simulations saved by Python: --theta/--x .npy files or --data (.npz with named arrays,
/// torch .pt, pickle) and writes a trained-model file; with --tracker tensorboard (or --log-dir) the training statistics
/// also go to TensorBoard event files. Every file and option is checked before loading; --prior and --x-o are checked
/// against the data before training. Ctrl-C stops training and saves the best weights so far.
/// </summary>
internal static class TrainCommand
{
    private sealed record Settings(SimulationInputs.Values Data, PriorSpec Prior, string Estimator, string Out, XSpec? XO, int Seed, int Threads,
                                   int BatchSize, double LearningRate, int MaxEpochs, double ValidationFraction, string? LogDir);

    /// <summary>sbi's name of the trainer (<see cref="NpeB.MethodName"/>): the folder of the default TensorBoard logs.</summary>
    private const string Method = "NPE_B";

    public static Command Create(CliContext ctx)
    {
        var data = new SimulationInputs("--data", "θ and x in one file instead: .npz (named arrays), torch .pt or pickle .pkl");
        var prior = CliOptions.Prior();
        var estimator = CliOptions.Estimator();
        var output = CliOptions.Path("--out", "the model file to write (.npz); its folder is created if missing", required: true);
        var xo = CliOptions.Observation("--x-o", "default observation stored in the model file");
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var threads = CliOptions.Threads();
        var batch = CliOptions.Int("--batch-size", "training batch size", 200, 1);
        var lr = CliOptions.Double("--lr", "Adam learning rate", 5e-4, 0);
        var maxEpochs = CliOptions.OptionalInt("--max-epochs", "epoch cap (as in sbi, up to N + 1 epochs run); default: until early stopping", 1);
        var valFrac = CliOptions.Double("--validation-fraction", "fraction of the simulations held out for validation", 0.1, 0, 1);
        var cmd = new Command("train", "NPE-B on saved simulations; writes a model file (.npz). Ctrl-C stops training, saves the best weights so far to --out and exits 130")
        {
            prior, estimator, output, xo, seed, threads, batch, lr, maxEpochs, valFrac,
        };
        data.AddTo(cmd);
        var tracker = new TrackerOptions();
        tracker.AddTo(cmd);
        cmd.SetAction(p => Run(ctx, new Settings(data.Read(p), p.GetValue(prior)!, p.GetValue(estimator)!, p.GetValue(output)!, p.GetValue(xo),
            p.GetValue(seed), p.GetValue(threads), p.GetValue(batch), p.GetValue(lr), p.GetValue(maxEpochs) ?? int.MaxValue, p.GetValue(valFrac),
            tracker.Folder(p, Method, DateTime.Now))));
        return cmd;
    }

    private static int Run(CliContext ctx, Settings s)
    {
        var inputs = s.Data.Inputs.Append((s.XO?.NpyPath, "--x-o")).ToArray();
        foreach (var (path, option) in inputs)
            if (path is not null) PathChecks.InputFile(path, option);
        PathChecks.Output(s.Out, "--out", isFolder: false, inputs);
        if (s.LogDir is not null) PathChecks.Output(s.LogDir, "--log-dir", isFolder: true, [.. inputs, (s.Out, "--out")]);

        set_num_threads(s.Threads);
        manual_seed(s.Seed);
        using var data = s.Data.Load();
        ctx.Out.WriteLine($"loaded {data}");
        if (data.InvalidRowCount > 0) ctx.Out.WriteLine($"{data.InvalidRowCount} row(s) with NaN/inf x will be excluded (round 0).");
        var prior = s.Prior.Build(checked((int)data.ThetaDim));
        using var xo = s.XO?.ToTensor(new[] { data.XDim }, "the data's");

        using var interrupt = Interrupt.Listen(ctx.Err);
        ITracker? tracker = s.LogDir is null ? null : new TensorBoardTracker(s.LogDir);
        var npe = new NpeB(prior, s.Estimator, showProgressBars: false, logger: ctx.Logger, tracker: tracker);
        // One line per epoch on stderr: progress in logs, and the point from which Ctrl-C has best weights to save.
        var progress = new InlineProgress<EpochInfo>(e => ctx.Err.WriteLine(
            $"epoch {e.Epoch}: training loss {e.TrainingLoss:F5}, validation loss {e.ValidationLoss:F5}, best {e.BestValidationLoss:F5} ({e.Seconds:F2} s)"));
        var clock = Stopwatch.StartNew();
        bool interrupted = false;
        try
        {
            npe.AppendSimulations(data.Theta, data.X).Train(trainingBatchSize: s.BatchSize, learningRate: s.LearningRate,
                validationFraction: s.ValidationFraction, maxNumEpochs: s.MaxEpochs, progress: progress, cancellationToken: interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            // Train restored the best weights seen so far before it let the cancellation out.
            interrupted = true;
        }
        var posterior = npe.BuildPosterior();
        if (xo is not null) posterior.SetDefaultX(xo);
        ModelFile.Save(s.Out, posterior);
        if (interrupted)
        {
            int epochs = npe.Summary.ValidationLoss.Count;
            string best = epochs == 0 ? "no epoch had finished; the weights are those of the interrupted first epoch"
                                      : $"best validation loss {npe.Summary.ValidationLoss.Min():F5} over {epochs} finished epoch(s)";
            ctx.Err.WriteLine($"sbi-net: training interrupted after {clock.Elapsed.TotalSeconds:F1} s; saved the best weights so far to {s.Out} ({best})");
            return ExitCodes.Interrupted;
        }
        ctx.Out.WriteLine($"trained {s.Estimator} in {clock.Elapsed.TotalSeconds:F1} s: {npe.Summary.EpochsTrained[^1]} epochs, best validation loss {npe.Summary.BestValidationLoss[^1]:F5}");
        ctx.Out.WriteLine($"wrote {s.Out}");
        if (s.LogDir is not null) ctx.Out.WriteLine($"wrote TensorBoard logs to {s.LogDir} (tensorboard --logdir {s.LogDir}; sbi-net plot summary --log-dir {s.LogDir} --out loss.png)");
        return ExitCodes.Success;
    }
}
