using System.CommandLine;
using System.Diagnostics;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Posteriors;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// sbi's NPE-B docstring example: BoxUniform [0,1]³, x_o = N(0,1)³ drawn right after the seed (the same numbers as
/// PyTorch's), simulator θ + 0.1·N(0,1), rounds × sims with the posterior as the next proposal, then 1000 samples.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliContext ctx)
    {
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var rounds = CliOptions.Int("--rounds", "rounds of simulation and training", 5, 1);
        var sims = CliOptions.Int("--sims", "simulations per round", 100, 2);
        var estimator = CliOptions.Estimator();
        var threads = CliOptions.Threads();
        var maxTime = CliOptions.MaxSamplingTime();
        var cmd = new Command("demo", "sbi's NPE-B example end to end (BoxUniform [0,1]^3, 5 rounds x 100 simulations); Ctrl-C stops training and exits 130")
        {
            seed, rounds, sims, estimator, threads, maxTime,
        };
        cmd.SetAction(p => Run(ctx, p.GetValue(seed), p.GetValue(rounds), p.GetValue(sims), p.GetValue(estimator)!, p.GetValue(threads), p.GetValue(maxTime)));
        return cmd;
    }

    private static int Run(CliContext ctx, int seed, int rounds, int sims, string estimator, int threads, TimeSpan? maxSamplingTime)
    {
        var o = ctx.Out;
        set_num_threads(threads);
        var total = Stopwatch.StartNew();
        manual_seed(seed);
        using var prior = new BoxUniform(zeros(3), ones(3));
        var xo = randn(1, 3);
        o.WriteLine($"sbi-net demo: NPE-B, estimator {estimator}, seed {seed}, {rounds} rounds x {sims} simulations, {threads} thread(s)");
        o.WriteLine($"x_o = [{string.Join(", ", xo[0].data<float>().ToArray().Select(v => v.ToString("F4")))}]");
        var npe = new NpeB(prior, estimator, log: ctx.Log);
        IDensity proposal = prior;
        DirectPosterior? posterior = null;
        o.WriteLine($"{"round",5} {"epochs",7} {"best val loss",14} {"seconds",8}");
        using var interrupt = Interrupt.Listen(ctx.Err);
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var theta = posterior is null ? prior.Sample(sims) : posterior.Sample(sims, maxSamplingTime: maxSamplingTime);
            var x = theta + 0.1 * randn_like(theta);
            Sbi.Estimators.ConditionalDensityEstimator net;
            try
            {
                net = npe.AppendSimulations(theta, x, proposal).Train(cancellationToken: interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                ctx.Err.WriteLine($"sbi-net: demo interrupted in round {r + 1} of {rounds} (the demo writes no files)");
                return ExitCodes.Interrupted;
            }
            posterior = npe.BuildPosterior(net);
            proposal = posterior.SetDefaultX(xo);
            o.WriteLine($"{r + 1,5} {npe.Summary.EpochsTrained[^1],7} {npe.Summary.BestValidationLoss[^1],14:F5} {clock.Elapsed.TotalSeconds,8:F2}");
        }
        using (var scope = NewDisposeScope())
        {
            var samples = posterior!.Sample(1000, xo, maxSamplingTime: maxSamplingTime);
            var mean = samples.mean(new long[] { 0 }).data<float>().ToArray();
            var std = samples.std(0).data<float>().ToArray();
            var xov = xo[0].data<float>().ToArray();
            o.WriteLine();
            o.WriteLine("posterior (1000 samples) vs analytic N(x_o, 0.1²) truncated to [0, 1]:");
            o.WriteLine($"{"dim",4} {"mean",9} {"analytic",9} {"std",9} {"analytic",9}");
            for (int d = 0; d < 3; d++)
            {
                var (am, asd) = Analytic.TruncatedNormal(xov[d], 0.1, 0, 1);
                o.WriteLine($"{d,4} {mean[d],9:F4} {am,9:F4} {std[d],9:F4} {asd,9:F4}");
            }
        }
        o.WriteLine($"total {total.Elapsed.TotalSeconds:F2} s");
        return ExitCodes.Success;
    }
}
