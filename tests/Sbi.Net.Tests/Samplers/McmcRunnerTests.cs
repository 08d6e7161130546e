using System.Diagnostics;
using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>
/// The chain runner: sbi's count semantics (<c>MCMCPosterior._slice_np_mcmc</c>), warm-up, thinning, workers,
/// progress, cancellation and the time limit.
/// </summary>
public class McmcRunnerTests
{
    /// <summary>A kernel whose chains' positions are (chain, step): what was kept is readable from the draws.</summary>
    private sealed class CountingKernel(int firstChain, int chains, int sleepMs = 0, int failAt = -1) : IMcmcKernel
    {
        private readonly double[] _positions = new double[chains * 2];
        private int _steps;
        public List<bool> Adapting { get; } = [];
        public int NumChains => chains;
        public int Dim => 2;

        public void Step(bool adapting)
        {
            if (_steps == failAt) throw new InvalidOperationException("kernel failure");
            if (sleepMs > 0) Thread.Sleep(sleepMs);
            Adapting.Add(adapting);
            for (int c = 0; c < chains; c++) { _positions[2 * c] = firstChain + c; _positions[2 * c + 1] = _steps; }
            _steps++;
        }

        public ReadOnlySpan<double> Positions => _positions;
        public ReadOnlySpan<double> AcceptStatistics => default;
        public ReadOnlySpan<bool> Divergent => default;
    }

    /// <summary>
    /// sbi's arithmetic, written as sbi's array operations: a chain runs R = warmup·thin + ⌈n·thin/C⌉ draws,
    /// <c>samples[:, ::thin]</c> keeps draws 0, thin, 2·thin, …, <c>[:, warmup:]</c> drops the first warmup of those,
    /// and the concatenation over chains is cut to n. The schedule keeps exactly those draws.
    /// </summary>
    [TestCase(10, 20, 200, 1)]
    [TestCase(1000, 20, 200, 3)]
    [TestCase(7, 3, 5, 2)]
    [TestCase(101, 4, 0, 10)]
    [TestCase(1, 1, 0, 1)]
    public void TheScheduleKeepsTheDrawsSbiKeeps(long n, int chains, int warmup, int thin)
    {
        long r = warmup * thin + (n * thin + chains - 1) / chains;
        var sbiKept = Enumerable.Range(0, (int)r).Where(i => i % thin == 0).Skip(warmup).ToList();
        var schedule = McmcSchedule.Sbi(n, chains, warmup * thin, thin);
        var ours = Enumerable.Range(0, schedule.TotalDraws).Where(s => schedule.IsKept(s, out _)).ToList();
        Assert.That(ours, Is.EqualTo(sbiKept));
        Assert.That((long)chains * schedule.KeptPerChain, Is.GreaterThanOrEqualTo(n), "enough draws for n samples");
        Assert.That(schedule.TotalDraws, Is.LessThanOrEqualTo(r), "no draw after the last kept one");
    }

    /// <summary>
    /// The runner steps each kernel TotalDraws times, adapting exactly during warm-up, and stores the kept draws chain
    /// after chain (chain c's draw t at row c·K + t), block after block.
    /// </summary>
    [Test]
    public void KeptDrawsAreStoredChainMajorAfterWarmup()
    {
        var schedule = new McmcSchedule(WarmupDraws: 4, KeptPerChain: 3, Thin: 2);
        var blocks = new[] { new CountingKernel(0, 2), new CountingKernel(2, 1) };
        var run = McmcRunner.Run(blocks, schedule);
        Assert.That((run.NumChains, run.DrawsPerChain, run.Dim), Is.EqualTo((3, 3, 2)));
        foreach (var b in blocks)
            Assert.That(b.Adapting, Is.EqualTo(Enumerable.Range(0, schedule.TotalDraws).Select(s => s < 4)));
        for (int c = 0; c < 3; c++)
            for (int t = 0; t < 3; t++)
            {
                Assert.That(run.Draws[(c * 3 + t) * 2], Is.EqualTo(c), "chain");
                Assert.That(run.Draws[(c * 3 + t) * 2 + 1], Is.EqualTo(4 + 2 * t), "step");
            }
        Assert.That(run.AcceptStatistics, Is.Empty);
        Assert.That(run.Divergent, Has.All.False);
    }

    /// <summary>
    /// Real slice kernels, 1 and 3 workers: the draws are bitwise the same, because a block's draws depend on its own
    /// chains only (the partition does not change with the workers).
    /// </summary>
    [TestCase("slice_np")]
    [TestCase("slice_np_vectorized")]
    public void TheWorkerCountDoesNotChangeTheDraws(string method)
    {
        var known = KnownTargets.BetaGamma();
        const int chains = 45;
        var schedule = new McmcSchedule(60, 20, 2);
        McmcChains Run(int workers)
        {
            var starts = Enumerable.Range(0, chains).SelectMany(_ => known.Start).ToArray();
            var blocks = McmcKernels.Create(method, known.Target, starts, ChainSeeds.Streams(12, chains), new McmcKernelSettings(), schedule.TotalDraws);
            return McmcRunner.Run(blocks, schedule, workers);
        }
        Assert.That(McmcKernels.BlockSizes(method, chains), Is.EqualTo(method == "slice_np" ? Enumerable.Repeat(1, 45) : new[] { 15, 15, 15 }));
        Assert.That(Run(3).Draws, Is.EqualTo(Run(1).Draws));
    }

    /// <summary>The block rule: ⌈C/20⌉ near-equal blocks of consecutive chains for vectorised slice, one chain per block otherwise.</summary>
    [Test]
    public void BlocksDependOnTheChainCountOnly()
    {
        Assert.That(McmcKernels.BlockSizes("slice_np_vectorized", 20), Is.EqualTo(new[] { 20 }));
        Assert.That(McmcKernels.BlockSizes("slice_np_vectorized", 21), Is.EqualTo(new[] { 11, 10 }));
        Assert.That(McmcKernels.BlockSizes("slice_np_vectorized", 3), Is.EqualTo(new[] { 3 }));
        Assert.That(McmcKernels.BlockSizes("hmc", 3), Is.EqualTo(new[] { 1, 1, 1 }));
    }

    /// <summary>Progress comes in order and ends at the total; a cancelled token stops the run with OperationCanceledException.</summary>
    [Test]
    public void ProgressIsReportedAndCancellationStops()
    {
        var schedule = new McmcSchedule(5, 30, 1);
        var reports = new List<McmcProgress>();
        var progress = new SynchronousProgress(reports.Add);
        McmcRunner.Run([new CountingKernel(0, 1, sleepMs: 10)], schedule, progress: progress);
        Assert.That(reports, Is.Not.Empty);
        Assert.That(reports.Select(r => r.DrawsDone), Is.Ordered);
        Assert.That((reports[^1].DrawsDone, reports[^1].DrawsTotal, reports[^1].WarmupDraws), Is.EqualTo((35, 35, 5)), "5 warm-up draws and 30 kept: 35");

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        Assert.That(() => McmcRunner.Run([new CountingKernel(0, 1, sleepMs: 10)], new McmcSchedule(0, 100_000, 1), cancellationToken: cts.Token),
                    Throws.InstanceOf<OperationCanceledException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "stopped long before the 1,000 s the run would take");
    }

    /// <summary>
    /// Past the time limit the run stops with a TimeoutException that says how far it got (draws per chain of the
    /// total, warm-up) and passes on the caller's advice; the workers stop within a step (10 ms each here).
    /// </summary>
    [Test]
    public void TheTimeLimitStopsTheRunAndSaysHowFarItGot()
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<TimeoutException>(() => McmcRunner.Run([new CountingKernel(0, 2, sleepMs: 10), new CountingKernel(2, 2, sleepMs: 10)],
            new McmcSchedule(50, 10_000, 1), numWorkers: 2, timeLimit: TimeSpan.FromSeconds(0.3), timeoutAdvice: "Do something else."))!;
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
        Assert.That(e.Message, Does.Contain("of 10050 draws per chain").And.Contain("50 of them warm-up").And.Contain("4 chains").And.EndWith("Do something else."));
    }

    /// <summary>A kernel's exception reaches the caller unchanged, and the other workers stop.</summary>
    [Test]
    public void AKernelFailureIsRethrown()
    {
        var e = Assert.Throws<InvalidOperationException>(() => McmcRunner.Run([new CountingKernel(0, 1, failAt: 3), new CountingKernel(1, 1, sleepMs: 1)],
                                                                              new McmcSchedule(0, 100_000, 1), numWorkers: 2))!;
        Assert.That(e.Message, Is.EqualTo("kernel failure"));
    }

    private sealed class SynchronousProgress(Action<McmcProgress> report) : IProgress<McmcProgress>
    {
        public void Report(McmcProgress value) => report(value);
    }
}
