using System.Diagnostics;
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
    public static int Run(CliArgs a)
    {
        string estimator = a.String("estimator", "maf")!;
        int sims = a.Int("sims", 10_000), threads = a.Int("threads", 1), seed = a.Int("seed", 0), maxEpochs = a.Int("max-epochs", int.MaxValue);
        int d = a.Int("dim", 5);
        bool autograd = a.Flag("autograd");
        a.EnsureAllUsed();
        if (sims < 20 || threads < 1 || d < 1) throw new CliException("--sims must be ≥ 20, --threads ≥ 1, --dim ≥ 1");
        set_num_threads(threads);
        manual_seed(seed);
        using var scope = NewDisposeScope();
        using var prior = MultivariateNormal.Standard(d);
        var theta = prior.Sample(sims);
        var x = theta + 0.1 * randn_like(theta);
        var thetaO = prior.Sample(1);
        var xo = thetaO + 0.1 * randn_like(thetaO);
        Console.WriteLine($"sbi-net bench train: Gaussian linear D={d}, {sims} simulations, estimator {estimator}, seed {seed}, {threads} thread(s)");

        var npe = new NpeB(prior, estimator, log: new SbiLog { Info = _ => { } }) { UseFusedCpuKernels = !autograd };
        var clock = Stopwatch.StartNew();
        npe.AppendSimulations(theta, x).Train(maxNumEpochs: maxEpochs);
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
        var refMean = xo / 1.01;
        var reference = refMean + Math.Sqrt(0.01 / 1.01) * randn(5000, d);
        clock.Restart();
        double c2st = C2st.Score(samples, reference, seed: 1);
        double c2stSec = clock.Elapsed.TotalSeconds;

        Console.WriteLine($"gradients                      {npe.TrainingBackend} ({npe.TrainingBackendReason})");
        Console.WriteLine($"epochs                         {epochs}");
        Console.WriteLine($"training seconds               {trainSec:F2}");
        Console.WriteLine($"seconds per epoch              {trainSec / epochs:F4}");
        Console.WriteLine($"best validation loss           {npe.Summary.BestValidationLoss[^1]:F5}");
        Console.WriteLine($"100,000 posterior samples (s)  {sampleSec:F3}");
        Console.WriteLine($"10,000 log-probs (s)           {logProbSec:F4}");
        Console.WriteLine($"C2ST vs analytic (5,000)       {c2st:F4}   ({c2stSec:F1} s)");
        Console.WriteLine($"x_o                            {string.Join(" ", xo.data<float>().ToArray().Select(v => v.ToString("F4")))}");
        return 0;
    }
}
