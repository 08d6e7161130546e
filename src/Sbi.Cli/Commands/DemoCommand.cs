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
    public static int Run(CliArgs a)
    {
        int seed = a.Int("seed", 0), rounds = a.Int("rounds", 5), sims = a.Int("sims", 100), threads = a.Int("threads", 1);
        string estimator = a.String("estimator", "maf")!;
        a.EnsureAllUsed();
        if (rounds < 1 || sims < 2 || threads < 1) throw new CliException("--rounds must be ≥ 1, --sims ≥ 2 and --threads ≥ 1");
        set_num_threads(threads);
        var total = Stopwatch.StartNew();
        manual_seed(seed);
        using var prior = new BoxUniform(zeros(3), ones(3));
        var xo = randn(1, 3);
        Console.WriteLine($"sbi-net demo: NPE-B, estimator {estimator}, seed {seed}, {rounds} rounds x {sims} simulations, {threads} thread(s)");
        Console.WriteLine($"x_o = [{string.Join(", ", xo[0].data<float>().ToArray().Select(v => v.ToString("F4")))}]");
        var npe = new NpeB(prior, estimator);
        IDensity proposal = prior;
        DirectPosterior? posterior = null;
        Console.WriteLine($"{"round",5} {"epochs",7} {"best val loss",14} {"seconds",8}");
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var theta = posterior is null ? prior.Sample(sims) : posterior.Sample(sims);
            var x = theta + 0.1 * randn_like(theta);
            var net = npe.AppendSimulations(theta, x, proposal).Train();
            posterior = npe.BuildPosterior(net);
            proposal = posterior.SetDefaultX(xo);
            Console.WriteLine($"{r + 1,5} {npe.Summary.EpochsTrained[^1],7} {npe.Summary.BestValidationLoss[^1],14:F5} {clock.Elapsed.TotalSeconds,8:F2}");
        }
        using (var scope = NewDisposeScope())
        {
            var samples = posterior!.Sample(1000, xo);
            var mean = samples.mean(new long[] { 0 }).data<float>().ToArray();
            var std = samples.std(0).data<float>().ToArray();
            var xov = xo[0].data<float>().ToArray();
            Console.WriteLine();
            Console.WriteLine("posterior (1000 samples) vs analytic N(x_o, 0.1²) truncated to [0, 1]:");
            Console.WriteLine($"{"dim",4} {"mean",9} {"analytic",9} {"std",9} {"analytic",9}");
            for (int d = 0; d < 3; d++)
            {
                var (am, asd) = Analytic.TruncatedNormal(xov[d], 0.1, 0, 1);
                Console.WriteLine($"{d,4} {mean[d],9:F4} {am,9:F4} {std[d],9:F4} {asd,9:F4}");
            }
        }
        Console.WriteLine($"total {total.Elapsed.TotalSeconds:F2} s");
        return 0;
    }
}
