using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>
/// sbi's <c>slice_np</c> (<c>SliceSampler</c>, sbi/samplers/mcmc/slice_numpy.py) as <see cref="SliceKernel"/>: one
/// chain per kernel, on plain-double targets whose moments are known.
/// </summary>
public class SliceKernelTests
{
    private static readonly McmcKernelSettings Defaults = new();

    /// <summary>Runs one <see cref="SliceKernel"/> per chain through the runner.</summary>
    internal static McmcChains RunSerial(FunctionTarget target, double[] start, int chains, McmcSchedule schedule, long seed, McmcKernelSettings? settings = null)
    {
        var rngs = ChainSeeds.Streams(seed, chains);
        var starts = Enumerable.Range(0, chains).SelectMany(_ => start).ToArray();
        var blocks = McmcKernels.Create("slice_np", target, starts, rngs, settings ?? Defaults, schedule.TotalDraws);
        return McmcRunner.Run(blocks, schedule);
    }

    /// <summary>
    /// A correlated 3-D Gaussian: 8 chains, sbi's 50 tuning sweeps and 100 warm-up draws, 1,500 kept each: the mean
    /// and E[x²] of every coordinate within <see cref="Sbi.Testing.Tolerances.MonteCarloZ"/> Monte-Carlo standard
    /// errors sd/√ESS (<see cref="KnownTargets.AssertMoments"/>).
    /// </summary>
    [Test]
    public void SamplesACorrelatedGaussian()
    {
        var known = KnownTargets.CorrelatedGaussian();
        var run = RunSerial(known.Target, known.Start, 8, new McmcSchedule(150, 1500, 1), seed: 1);
        KnownTargets.AssertMoments(run, known, "slice_np, correlated Gaussian");
    }

    /// <summary>Beta(2, 5) × Gamma(2, 1), bounded (−∞ outside) and skewed: the same check; no draw leaves the support.</summary>
    [Test]
    public void SamplesABoundedSkewedTarget()
    {
        var known = KnownTargets.BetaGamma();
        var run = RunSerial(known.Target, known.Start, 8, new McmcSchedule(150, 1500, 1), seed: 2);
        KnownTargets.AssertMoments(run, known, "slice_np, Beta × Gamma");
        for (int i = 0; i < run.Draws.Length; i += 2)
            Assert.That(run.Draws[i] is > 0 and < 1 && run.Draws[i + 1] > 0, $"draw {i / 2} outside the support");
    }

    /// <summary>
    /// sbi's serial tuning (<c>_tune_bracket_width</c>) runs one-dimensional chains of the conditionals at the start
    /// and does not move the chain: the first TuningSteps steps return the start, the next one moves; the widths
    /// leave their initial 0.01 (a N(0, σ²) conditional's final brackets are of order σ, not 0.01).
    /// </summary>
    [Test]
    public void TuningLeavesTheChainAtItsStartAndSetsTheWidths()
    {
        var known = KnownTargets.CorrelatedGaussian();
        var kernel = new SliceKernel(known.Target, known.Start, new Random(3), new McmcKernelSettings(TuningSteps: 5));
        for (int s = 0; s < 5; s++)
        {
            kernel.Step(adapting: true);
            Assert.That(kernel.Positions.ToArray(), Is.EqualTo(known.Start), $"tuning sweep {s} keeps the start");
        }
        Assert.That(kernel.Widths.ToArray(), Has.All.Not.EqualTo(0.01), "every width was tuned");
        kernel.Step(adapting: true);
        Assert.That(kernel.Positions.ToArray(), Is.Not.EqualTo(known.Start), "the first sweep after tuning moves");
        Assert.That(kernel.Sweeps, Is.EqualTo(6));
    }

    /// <summary>A start whose log-density is −∞ cannot move; the kernel says which chain and why.</summary>
    [Test]
    public void AStartWithoutMassIsRefused()
    {
        var known = KnownTargets.BetaGamma();
        var e = Assert.Throws<ArgumentException>(() => new SliceKernel(known.Target, [2.0, 1.0], new Random(1), Defaults))!;
        Assert.That(e.Message, Does.Contain("chain 0").And.Contain("finite log-density"));
        Assert.Throws<ArgumentException>(() => new SliceKernel(known.Target, [0.5], new Random(1), Defaults), "a start of the wrong dimension");
    }

    /// <summary>
    /// A flat target never leaves the slice, so stepping out never ends (sbi loops for ever, its max_width is ∞); here
    /// it stops after <see cref="SliceChain.MaxStepOut"/> steps with an error naming the coordinate.
    /// </summary>
    [Test]
    public void AFlatTargetStopsSteppingOutWithAnError()
    {
        var flat = new FunctionTarget(2, _ => 0.0);
        var kernel = new SliceKernel(flat, [0.0, 0.0], new Random(4), new McmcKernelSettings(TuningSteps: 0));
        var e = Assert.Throws<InvalidOperationException>(() => kernel.Step(adapting: false))!;
        Assert.That(e.Message, Does.Contain("stepped out").And.Contain("does not decay"));
    }
}
