using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Metrics;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Bench;

/// <summary>
/// The bench task's NPE estimator and its observation: Gaussian linear, D = 5, prior N(0, I), x = θ + 0.1ε, drawn as
/// <c>sbi-net bench train</c> draws them for a seed (θ, x, then θ_o and x_o), so the same seed gives the same data.
/// </summary>
public sealed record ViBenchTask(ConditionalDensityEstimator Estimator, GaussianLinearTask Task, int Epochs, double TrainSeconds)
{
    /// <summary>The prior N(0, I).</summary>
    public MultivariateNormal Prior => Task.Prior;

    /// <summary>The observation (1, D).</summary>
    public Tensor XO => Task.XO;
}

/// <summary>One VI training timed: method, q, iterations and particles, seconds (warm-up included and per iteration), C2ST against the analytic posterior (or null) and Pareto-k̂.</summary>
public sealed record ViTrainBenchResult(string Method, string Q, int Iterations, int WarmUpSteps, int Particles, double Seconds,
                                        double SecondsPerIteration, double? C2st, double ParetoK)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Method,-5} q={Q,-8} {Iterations} iterations × {Particles} particles (+{WarmUpSteps} warm-up): {Seconds:F2} s = {SecondsPerIteration * 1e3:F2} ms/iteration (warm-up included); " +
        $"Pareto-k̂ {ParetoK:F3}{(C2st is double c ? $", C2ST {c:F4}" : "")}";
}

/// <summary>
/// Time to train a VI posterior's q for a fixed number of iterations with 256 particles on the bench task's trained
/// estimator (<see cref="ViBenchTask"/>), sbi's defaults otherwise (learning rate 1e-3, γ 0.999, 100 warm-up steps,
/// convergence check and quality control off so that every run does the same work). Not a unit test: run it on a quiet
/// machine with one thread, beside sbi's VI on the same weights.
/// </summary>
public static class ViTrainBench
{
    /// <summary>Trains the bench task's NPE estimator (MAF by default) with sbi's defaults; <paramref name="maxEpochs"/> caps the epochs.</summary>
    public static ViBenchTask TrainEstimator(int seed = 0, int sims = 10_000, string estimator = "maf", int maxEpochs = int.MaxValue)
    {
        var task = GaussianLinearTask.Draw(sims, 5, seed);
        var npe = new NpeB(task.Prior, estimator, logger: NullLogger.Instance);
        var clock = Stopwatch.StartNew();
        var net = npe.AppendSimulations(task.Theta, task.X).Train(maxNumEpochs: maxEpochs);
        return new ViBenchTask(net, task, npe.Summary.EpochsTrained[^1], clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Trains a VI posterior over <paramref name="task"/>'s estimator at its x_o for <paramref name="iterations"/> steps and times
    /// it; with <paramref name="c2st"/>, scores 5,000 of q's samples against 5,000 analytic ones (the C2ST of <c>bench train</c>).
    /// </summary>
    public static ViTrainBenchResult Run(ViBenchTask task, string method, string q = "maf", int iterations = 2000, int particles = 256,
                                         int warmUpRounds = 100, bool c2st = false, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        manual_seed(seed);
        var potential = new PosteriorBasedPotential(task.Estimator, task.Prior, task.XO);
        var posterior = new VIPosterior(potential, task.Prior, new VIPosteriorParameters(q: q, viMethod: method), logger: NullLogger.Instance);
        var clock = Stopwatch.StartNew();
        posterior.Train(task.XO, nParticles: particles, maxNumIters: iterations, warmUpRounds: warmUpRounds, checkForConvergence: false, qualityControl: false);
        double seconds = clock.Elapsed.TotalSeconds;
        double k = posterior.Evaluate("psis").Value;
        double? score = null;
        if (c2st)
        {
            using var reference = task.Task.AnalyticPosteriorSamples(5000);
            score = C2st.Score(posterior.Sample(5000), reference, seed: 1);
        }
        int its = posterior.TrainingSummary!.Iterations;
        return new ViTrainBenchResult(method, q, its, warmUpRounds, particles, seconds, seconds / its, score, k);
    }
}
