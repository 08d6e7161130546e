using System.CommandLine;
using System.Diagnostics;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Plots;
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
        var plot = CliOptions.Path("--plot", "also draw a pair plot of the 1000 posterior samples beside as many draws of the analytic posterior, to this .png");
        var cmd = new Command("demo", "sbi's NPE-B example end to end (BoxUniform [0,1]^3, 5 rounds x 100 simulations); Ctrl-C stops training and exits 130")
        {
            seed, rounds, sims, estimator, threads, maxTime, plot,
        };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(plot) is { } path && !path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) r.AddError($"--plot must name a .png file; got '{path}'");
        });
        cmd.SetAction(p => Run(ctx, p.GetValue(seed), p.GetValue(rounds), p.GetValue(sims), p.GetValue(estimator)!, p.GetValue(threads), p.GetValue(maxTime),
                               p.GetValue(plot)));
        return cmd;
    }

    private static int Run(CliContext ctx, int seed, int rounds, int sims, string estimator, int threads, TimeSpan? maxSamplingTime, string? plot)
    {
        if (plot is not null) PathChecks.Output(plot, "--plot", isFolder: false);
        var o = ctx.Out;
        set_num_threads(threads);
        var total = Stopwatch.StartNew();
        manual_seed(seed);
        using var prior = new BoxUniform(zeros(3), ones(3));
        var xo = randn(1, 3);
        o.WriteLine($"sbi-net demo: NPE-B, estimator {estimator}, seed {seed}, {rounds} rounds x {sims} simulations, {threads} thread(s)");
        o.WriteLine($"x_o = [{string.Join(", ", xo[0].data<float>().ToArray().Select(v => v.ToString("F4")))}]");
        var npe = new NpeB(prior, estimator, logger: ctx.Logger);
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
            if (plot is not null)
            {
                WritePlot(plot, samples, xov, seed);
                o.WriteLine($"wrote the pair plot (blue: the posterior's 1000 samples, orange: 1000 analytic draws) to {plot}");
            }
        }
        o.WriteLine($"total {total.Elapsed.TotalSeconds:F2} s");
        return ExitCodes.Success;
    }

    /// <summary>
    /// The posterior's samples (C0, blue) and as many exact draws of the analytic posterior, N(x_o, 0.1²) truncated to
    /// [0, 1] per dimension (C1, orange), in one pair plot: histograms on the diagonal, density contours above it and
    /// the points below. The analytic draws come from their own generator, seeded by --seed, so that --plot changes
    /// nothing the demo prints.
    /// </summary>
    private static void WritePlot(string path, Tensor samples, float[] xo, int seed)
    {
        var learned = Samples(samples);
        int n = learned.GetLength(0), dim = learned.GetLength(1);
        var rng = new Random(seed);
        var analytic = new double[n, dim];
        for (int d = 0; d < dim; d++)
        {
            var column = Analytic.SampleTruncatedNormal(n, xo[d], 0.1, 0, 1, rng);
            for (int i = 0; i < n; i++) analytic[i, d] = column[i];
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SbiPlots.PairPlot([learned, analytic], path, new PairPlotOptions
        {
            Upper = PlotKinds.Contour,
            Lower = PlotKinds.Scatter,
            Labels = ["θ1", "θ2", "θ3"],
            Title = "blue NPE-B, orange true",
        });
    }

    private static double[,] Samples(Tensor t)
    {
        using var d = t.to(ScalarType.Float64).contiguous();
        var flat = d.data<double>().ToArray();
        var m = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(double));
        return m;
    }
}
