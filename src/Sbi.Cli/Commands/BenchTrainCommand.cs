using System.CommandLine;
using System.Diagnostics;
using Sbi.Bench;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Metrics;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// The training benchmark of the foundation issue: Gaussian linear task, D = 5, prior N(0, I), x = θ + 0.1·ε,
/// one round, sbi defaults. Reports epochs, training time, time per epoch, sampling and log-prob speed, and the C2ST
/// of posterior samples against the analytic posterior N(x_o/1.01, 0.01/1.01·I).
/// </summary>
internal static class BenchTrainCommand
{
    public static Command Create(CliContext ctx)
    {
        var estimator = CliOptions.Estimator();
        var sims = CliOptions.Int("--sims", "simulations", 10_000, 20);
        var threads = CliOptions.Threads();
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var maxEpochs = CliOptions.OptionalInt("--max-epochs", "epoch cap (as in sbi, up to N + 1 epochs run); default: until early stopping", 1);
        var dim = CliOptions.Int("--dim", "θ and x dimension D", 5, 1);
        var autograd = new Option<bool>("--autograd") { Description = "train through autograd (no fused MAF kernel)" };
        var cmd = new Command("train", "Gaussian linear task (D=5, 10,000 simulations): epochs, s/epoch, sampling, C2ST; Ctrl-C stops and exits 130")
        {
            estimator, sims, threads, seed, maxEpochs, dim, autograd,
        };
        cmd.SetAction(p => Run(ctx, p.GetValue(estimator)!, p.GetValue(sims), p.GetValue(threads), p.GetValue(seed), p.GetValue(maxEpochs) ?? int.MaxValue,
            p.GetValue(dim), p.GetValue(autograd)));
        return cmd;
    }

    private static int Run(CliContext ctx, string estimator, int sims, int threads, int seed, int maxEpochs, int d, bool autograd)
    {
        var o = ctx.Out;
        set_num_threads(threads);
        using var scope = NewDisposeScope();
        using var task = GaussianLinearTask.Draw(sims, d, seed);
        var (prior, xo) = (task.Prior, task.XO);
        o.WriteLine($"sbi-net bench train: Gaussian linear D={d}, {sims} simulations, estimator {estimator}, seed {seed}, {threads} thread(s)");

        var npe = new NpeB(prior, estimator, loggingLevel: "WARNING") { UseFusedCpuKernels = !autograd };
        var clock = Stopwatch.StartNew();
        using (var interrupt = Interrupt.Listen(ctx.Err))
        {
            try
            {
                npe.AppendSimulations(task.Theta, task.X).Train(maxNumEpochs: maxEpochs, cancellationToken: interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                ctx.Err.WriteLine($"sbi-net: bench train interrupted after {clock.Elapsed.TotalSeconds:F1} s of training (no timings; the benchmark writes no files)");
                return ExitCodes.Interrupted;
            }
        }
        double trainSec = clock.Elapsed.TotalSeconds;
        int epochs = npe.Summary.EpochsTrained[^1];
        var posterior = npe.BuildPosterior().SetDefaultX(xo);

        posterior.Sample(1000).Dispose(); // warm-up (first-call allocations)
        clock.Restart();
        var big = posterior.Sample(100_000);
        double sampleSec = clock.Elapsed.TotalSeconds;
        big.Dispose();
        var lpTheta = posterior.Sample(10_000);
        posterior.LogProb(lpTheta).Dispose(); // computes and caches the leakage factor, outside the timing
        clock.Restart();
        posterior.LogProb(lpTheta).Dispose();
        double logProbSec = clock.Elapsed.TotalSeconds;

        var samples = posterior.Sample(5000);
        var reference = task.AnalyticPosteriorSamples(5000);
        clock.Restart();
        double c2st = C2st.Score(samples, reference, seed: 1);
        double c2stSec = clock.Elapsed.TotalSeconds;

        o.WriteLine($"gradients                      {npe.TrainingBackend} ({npe.TrainingBackendReason})");
        o.WriteLine($"epochs                         {epochs}");
        o.WriteLine($"training seconds               {trainSec:F2}");
        o.WriteLine($"seconds per epoch              {trainSec / epochs:F4}");
        o.WriteLine($"best validation loss           {npe.Summary.BestValidationLoss[^1]:F5}");
        o.WriteLine($"100,000 posterior samples (s)  {sampleSec:F3}");
        o.WriteLine($"10,000 log-probs (s)           {logProbSec:F4}");
        o.WriteLine($"C2ST vs analytic (5,000)       {c2st:F4}   ({c2stSec:F1} s)");
        o.WriteLine($"x_o                            {string.Join(" ", xo.data<float>().ToArray().Select(v => v.ToString("F4")))}");
        return ExitCodes.Success;
    }
}
