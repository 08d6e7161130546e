using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>
/// sbi's <c>slice_np_vectorized</c> (<c>SliceSamplerVectorized</c>, sbi/samplers/mcmc/slice_numpy.py) as
/// <see cref="VectorizedSliceKernel"/>: the chains of a block share one batched target call per iteration.
/// </summary>
public class VectorizedSliceKernelTests
{
    private static McmcChains RunVectorized(FunctionTarget target, double[] start, int chains, McmcSchedule schedule, long seed,
                                            McmcKernelSettings? settings = null, int workers = 1)
    {
        var rngs = ChainSeeds.Streams(seed, chains);
        var starts = Enumerable.Range(0, chains).SelectMany(_ => start).ToArray();
        var blocks = McmcKernels.Create("slice_np_vectorized", target, starts, rngs, settings ?? new McmcKernelSettings(), schedule.TotalDraws);
        return McmcRunner.Run(blocks, schedule, workers);
    }

    /// <summary>
    /// 20 chains (one block, sbi's default) on the correlated 3-D Gaussian and on Beta × Gamma: moments within
    /// <see cref="Sbi.Testing.Tolerances.MonteCarloZ"/> standard errors sd/√ESS.
    /// </summary>
    [Test]
    public void SamplesTheKnownTargets()
    {
        var gaussian = KnownTargets.CorrelatedGaussian();
        KnownTargets.AssertMoments(RunVectorized(gaussian.Target, gaussian.Start, 20, new McmcSchedule(150, 600, 1), seed: 5), gaussian, "vectorized, Gaussian");
        var bounded = KnownTargets.BetaGamma();
        var run = RunVectorized(bounded.Target, bounded.Start, 20, new McmcSchedule(150, 600, 1), seed: 6);
        KnownTargets.AssertMoments(run, bounded, "vectorized, Beta × Gamma");
        for (int i = 0; i < run.Draws.Length; i += 2)
            Assert.That(run.Draws[i] is > 0 and < 1 && run.Draws[i + 1] > 0, $"draw {i / 2} outside the support");
    }

    /// <summary>
    /// Where sbi's two samplers are the same algorithm, so are these: with no tuning sweeps (sbi's serial sampler tunes
    /// on frozen conditionals, its vectorised one along the chain) every chain of a block follows, bitwise, the path of
    /// a <see cref="SliceKernel"/> with the same start and stream, draw after draw.
    /// </summary>
    [Test]
    public void WithoutTuningEachChainIsTheSerialSamplersChain()
    {
        var known = KnownTargets.CorrelatedGaussian();
        var settings = new McmcKernelSettings(TuningSteps: 0);
        const int chains = 5, steps = 200;
        var starts = Enumerable.Range(0, chains).SelectMany(c => known.Start.Select(v => v + 0.1 * c)).ToArray();
        var block = new VectorizedSliceKernel(known.Target, starts, ChainSeeds.Streams(7, chains), settings);
        var serial = Enumerable.Range(0, chains)
                               .Select(c => new SliceKernel(known.Target, starts.AsSpan(c * 3, 3), ChainSeeds.Streams(7, chains)[c], settings)).ToArray();
        for (int s = 0; s < steps; s++)
        {
            block.Step(adapting: false);
            for (int c = 0; c < chains; c++)
            {
                serial[c].Step(adapting: false);
                Assert.That(block.Positions.Slice(c * 3, 3).ToArray(), Is.EqualTo(serial[c].Positions.ToArray()), $"chain {c}, draw {s}");
            }
        }
    }

    /// <summary>
    /// With tuning the two differ as sbi's do, and what holds is this: the vectorised chains move during their tuning
    /// sweeps (sbi's SliceSamplerVectorized tunes along the chain), their widths leave 0.01, and both samplers reach
    /// the target (the moment tests above and in <see cref="SliceKernelTests"/>).
    /// </summary>
    [Test]
    public void VectorizedTuningMovesTheChains()
    {
        var known = KnownTargets.CorrelatedGaussian();
        var block = new VectorizedSliceKernel(known.Target, [.. known.Start, .. known.Start], ChainSeeds.Streams(8, 2), new McmcKernelSettings(TuningSteps: 5));
        block.Step(adapting: true);
        Assert.That(block.Positions.Slice(0, 3).ToArray(), Is.Not.EqualTo(known.Start));
        for (int s = 1; s < 5; s++) block.Step(adapting: true);
        Assert.That(block.Widths(0).ToArray(), Has.All.Not.EqualTo(0.01));
    }

    /// <summary>
    /// The block's evaluations are batched: every call holds at most the block's 20 chains, and because no chain waits
    /// for the others until it is <see cref="VectorizedSliceKernel.MaxLookahead"/> draws ahead, calls hold all of them
    /// except near the run's end (as sbi's SliceSamplerVectorized, which evaluates every chain in every call). So the
    /// calls average more than half the block; unbatched they would hold one row each.
    /// </summary>
    [Test]
    public void EvaluationsAreBatchedOverTheBlock()
    {
        var known = KnownTargets.CorrelatedGaussian();
        var schedule = new McmcSchedule(60, 200, 1);
        RunVectorized(known.Target, known.Start, 20, schedule, seed: 9);
        Assert.That(known.Target.MaxBatch, Is.EqualTo(20));
        Assert.That(known.Target.Rows, Is.GreaterThan(10 * known.Target.Calls), $"{known.Target.Rows} rows in {known.Target.Calls} calls");
    }

    /// <summary>A block is deterministic: the same starts and streams give the same draws; stepping past maxDraws is an error.</summary>
    [Test]
    public void TheSameSeedGivesTheSameDrawsAndMaxDrawsIsEnforced()
    {
        var known = KnownTargets.BetaGamma();
        var a = RunVectorized(known.Target, known.Start, 20, new McmcSchedule(10, 50, 2), seed: 10);
        var b = RunVectorized(known.Target, known.Start, 20, new McmcSchedule(10, 50, 2), seed: 10);
        var c = RunVectorized(known.Target, known.Start, 20, new McmcSchedule(10, 50, 2), seed: 11);
        Assert.That(a.Draws, Is.EqualTo(b.Draws));
        Assert.That(a.Draws, Is.Not.EqualTo(c.Draws));
        var kernel = new VectorizedSliceKernel(known.Target, [.. known.Start, .. known.Start], ChainSeeds.Streams(1, 2), new McmcKernelSettings(), maxDraws: 3);
        for (int s = 0; s < 3; s++) kernel.Step(adapting: true);
        Assert.Throws<InvalidOperationException>(() => kernel.Step(adapting: true));
    }
}
