using System.CommandLine;
using System.Diagnostics;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.IO;
using Sbi.Bench;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// Production sampling benchmark: on the bench task of `bench train` (Gaussian linear D = 5, 10,000 simulations)
/// the trained posterior is exported to ONNX; then 100,000 draws and 100,000 log-densities are timed through ONNX
/// Runtime and through the TorchSharp DirectPosterior, side by side, with 1 and 2 threads.
/// </summary>
internal static class BenchSampleCommand
{
    // Python sbi 0.27 on this machine (issue figures): 100,000 MAF samples in 2.94 s, 10,000 log-probs in 0.39 s.
    private const double ReferenceSamplesPerSecond = 100_000 / 2.94, ReferenceLogProbsPerSecond = 10_000 / 0.39;

    public static Command Create(CliContext ctx)
    {
        var estimator = CliOptions.Estimator();
        var model = CliOptions.Path("--model", "time this model file (D = 5, trained on the bench task) instead of training one");
        var sims = CliOptions.Int("--sims", "simulations to train on", 10_000, 20);
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var n = CliOptions.Int("--n", "draws and log-densities timed", 100_000, 1, int.MaxValue, null, "-n");
        var maxEpochs = CliOptions.OptionalInt("--max-epochs", "epoch cap (as in sbi, up to N + 1 epochs run); default: until early stopping", 1);
        var threads = CliOptions.IntList("--threads", "thread counts to time", "1,2", 1, Environment.ProcessorCount, "the cores here");
        var cmd = new Command("sample", "samples/s and log-probs/s, ONNX Runtime vs TorchSharp, 1 and 2 threads")
        {
            estimator, model, sims, seed, n, maxEpochs, threads,
        };
        cmd.SetAction(p => Run(ctx, p.GetValue(estimator)!, p.GetValue(model), p.GetValue(sims), p.GetValue(seed), p.GetValue(n),
            p.GetValue(maxEpochs) ?? int.MaxValue, p.GetValue(threads)!));
        return cmd;
    }

    private static int Run(CliContext ctx, string estimator, string? modelPath, int sims, int seed, int n, int maxEpochs, int[] threadList)
    {
        var o = ctx.Out;
        if (modelPath is not null) PathChecks.InputFile(modelPath, "--model");
        SampleBudget.Check(n, 5);
        var work = Path.Combine(Path.GetTempPath(), $"sbi-net-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            set_num_threads(1);
            manual_seed(seed);
            using var prior = MultivariateNormal.Standard(5);
            var thetaO = prior.Sample(1);
            var xo = thetaO + 0.1 * randn_like(thetaO);
            if (modelPath is null)
            {
                var theta = prior.Sample(sims);
                var x = theta + 0.1 * randn_like(theta);
                var npe = new NpeB(prior, estimator, loggingLevel: "WARNING");
                var clock = Stopwatch.StartNew();
                npe.AppendSimulations(theta, x).Train(maxNumEpochs: maxEpochs);
                o.WriteLine($"trained {estimator} on the bench task: {npe.Summary.EpochsTrained[^1]} epochs, {clock.Elapsed.TotalSeconds:F1} s");
                modelPath = Path.Combine(work, "model.npz");
                ModelFile.Save(modelPath, npe.BuildPosterior().SetDefaultX(xo));
            }
            var posterior = ModelFile.Load(modelPath);
            var xv = (posterior.DefaultX ?? xo).reshape(-1).data<float>().ToArray();
            var package = Path.Combine(work, "package");
            PosteriorExporter.Export(EstimatorModel.LoadNpz(modelPath), package);
            double peak = PeakGflopsPerCore();
            o.WriteLine($"{"path",-24} {"threads",7} {"samples/s",12} {"x sbi",6} {"log-probs/s",12} {"x sbi",6} {"sampler GFLOP/s",16}");
            foreach (int t in threadList)
            {
                set_num_threads(t);
                var (ts, tl) = TorchSharpRates(posterior, xv, n);
                o.WriteLine($"{"TorchSharp DirectPosterior",-24} {t,7} {ts,12:N0} {ts / ReferenceSamplesPerSecond,6:F1} {tl,12:N0} {tl / ReferenceLogProbsPerSecond,6:F1} {"",16}");
                var r = OnnxBench.Run(package, n, t, xv);
                string g = r.SampleGflops is double gf ? $"{gf:F1} ({gf / (peak * t):P0} of peak)" : "";
                o.WriteLine($"{"ONNX Runtime",-24} {t,7} {r.SamplesPerSecond,12:N0} {r.SamplesPerSecond / ReferenceSamplesPerSecond,6:F1} {r.LogProbsPerSecond,12:N0} {r.LogProbsPerSecond / ReferenceLogProbsPerSecond,6:F1} {g,16}");
            }
            o.WriteLine($"sbi 0.27 on this machine: {ReferenceSamplesPerSecond:N0} samples/s, {ReferenceLogProbsPerSecond:N0} log-probs/s; peak fp32 assumed {peak:F1} GFLOP/s per core (2 FMA × 8 lanes × clock)");
            return ExitCodes.Success;
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    /// <summary>Samples/s of DirectPosterior.Sample and log-probs/s of LogProb (leakage factor cached first), best of 3.</summary>
    private static (double Samples, double LogProbs) TorchSharpRates(Sbi.Posteriors.DirectPosterior posterior, float[] x, int n)
    {
        using var scope = NewDisposeScope();
        var xt = tensor(x).unsqueeze(0);
        posterior.SetDefaultX(xt);
        posterior.Sample(1000).Dispose();
        double bestS = double.MaxValue, bestL = double.MaxValue;
        var theta = posterior.Sample(n);
        posterior.LogProb(theta.narrow(0, 0, 10)).Dispose();
        for (int r = 0; r < 3; r++)
        {
            var c = Stopwatch.StartNew();
            posterior.Sample(n).Dispose();
            bestS = Math.Min(bestS, c.Elapsed.TotalSeconds);
            c.Restart();
            posterior.LogProb(theta).Dispose();
            bestL = Math.Min(bestL, c.Elapsed.TotalSeconds);
        }
        return (n / bestS, n / bestL);
    }

    private static double PeakGflopsPerCore()
    {
        double mhz = 2400;
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
            if (line is not null) mhz = double.Parse(line.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return mhz * 32 / 1000.0;
    }
}
