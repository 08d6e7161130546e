using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Sbi.Samplers;

/// <summary>
/// Runs blocks of chains (<see cref="IMcmcKernel"/>s) for a <see cref="McmcSchedule"/> on up to numWorkers threads and
/// collects the kept draws (sbi's <c>_slice_np_mcmc</c> loop, with its <c>Parallel(n_jobs=num_workers)</c> as
/// threads). Worker w runs blocks w, w + W, w + 2W, … (W workers), one step of each in turn; a block's draws depend
/// on its kernel alone, never on which worker runs it or how many there are. The calling thread waits, reports
/// progress (about every 100 ms and at the end), and stops the workers on cancellation or when the time limit passes.
/// </summary>
public static class McmcRunner
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20), ReportInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Runs <paramref name="blocks"/> (their chains numbered block after block) and returns the kept draws.
    /// <paramref name="timeLimit"/> is measured on <paramref name="clock"/> (a stopwatch the caller started, so that
    /// its own preparation counts; null: one started here); past it a <see cref="TimeoutException"/> says how far the
    /// run got, followed by <paramref name="timeoutAdvice"/>. <paramref name="workerSetup"/> runs first on each worker
    /// thread: a target that evaluates a network needs the caller's thread settings there (libtorch's OpenMP and MKL
    /// thread counts are per thread, and a fresh thread's default of one per core makes every small op contend).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="TimeoutException">the run passed <paramref name="timeLimit"/>.</exception>
    public static McmcChains Run(IReadOnlyList<IMcmcKernel> blocks, McmcSchedule schedule, int numWorkers = 1, IProgress<McmcProgress>? progress = null,
                                 TimeSpan? timeLimit = null, CancellationToken cancellationToken = default, Stopwatch? clock = null,
                                 string timeoutAdvice = "", Action? workerSetup = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(schedule);
        if (blocks.Count == 0) throw new ArgumentException("no blocks of chains to run.", nameof(blocks));
        if (numWorkers < 1) throw new ArgumentOutOfRangeException(nameof(numWorkers), numWorkers, $"numWorkers must be positive; got {numWorkers}.");
        int dim = blocks[0].Dim;
        if (blocks.Any(b => b.Dim != dim))
            throw new ArgumentException($"every block must have the same dimension; got {string.Join(", ", blocks.Select(b => b.Dim))}.", nameof(blocks));
        clock ??= Stopwatch.StartNew();

        int chains = blocks.Sum(b => b.NumChains), kept = schedule.KeptPerChain, total = schedule.TotalDraws;
        var firstChain = new int[blocks.Count];
        for (int b = 1; b < blocks.Count; b++) firstChain[b] = firstChain[b - 1] + blocks[b - 1].NumChains;
        var draws = new double[(long)chains * kept * dim];
        double[]? accept = null;
        var divergent = new bool[(long)chains * kept];

        int workers = Math.Min(numWorkers, blocks.Count);
        var done = new int[workers];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var finished = new CountdownEvent(workers);

        void Work(int w)
        {
            try
            {
                workerSetup?.Invoke();
                for (int s = 0; s < total; s++)
                {
                    bool keep = schedule.IsKept(s, out int k);
                    for (int b = w; b < blocks.Count; b += workers)
                    {
                        stop.Token.ThrowIfCancellationRequested();
                        var kernel = blocks[b];
                        kernel.Step(s < schedule.WarmupDraws);
                        if (keep) Collect(kernel, firstChain[b], k);
                    }
                    Volatile.Write(ref done[w], s + 1);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                stop.Cancel();
            }
            finally { finished.Signal(); }
        }

        void Collect(IMcmcKernel kernel, int c0, int k)
        {
            var positions = kernel.Positions;
            var stats = kernel.AcceptStatistics;
            var div = kernel.Divergent;
            for (int j = 0; j < kernel.NumChains; j++)
            {
                long row = (long)(c0 + j) * kept + k;
                positions.Slice(j * dim, dim).CopyTo(draws.AsSpan((int)(row * dim), dim));
                if (!stats.IsEmpty)
                {
                    // Only kernels with statistics write them; a block without leaves NaN (not averaged in).
                    var a = LazyInitializer.EnsureInitialized(ref accept, () => Enumerable.Repeat(double.NaN, chains * kept).ToArray());
                    a[row] = stats[j];
                }
                if (!div.IsEmpty) divergent[row] = div[j];
            }
        }

        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            int id = w;
            threads[w] = new Thread(() => Work(id)) { IsBackground = true, Name = $"Sbi MCMC worker {id}" };
            threads[w].Start();
        }

        bool timedOut = false;
        TimeSpan? lastReport = null;
        int lastDone = -1;
        try
        {
            while (!finished.Wait(PollInterval))
            {
                if (timeLimit is { } limit && clock.Elapsed > limit && !stop.IsCancellationRequested)
                {
                    timedOut = true;
                    stop.Cancel();
                }
                if (progress is not null && (lastReport is null || clock.Elapsed - lastReport.Value >= ReportInterval))
                {
                    int d = done.Min();
                    if (d != lastDone) progress.Report(new McmcProgress(d, total, schedule.WarmupDraws, clock.Elapsed));
                    lastDone = d;
                    lastReport = clock.Elapsed;
                }
            }
        }
        finally
        {
            // Also when a progress handler throws: the workers stop and are joined before their token source goes.
            if (!finished.IsSet) stop.Cancel();
            foreach (var t in threads) t.Join();
            finished.Dispose();
        }

        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        cancellationToken.ThrowIfCancellationRequested();
        int reached = done.Min();
        if (timedOut && reached < total)
            throw new TimeoutException(
                $"MCMC sampling passed its time limit of {timeLimit!.Value.TotalSeconds:G4} s after {reached} of {total} draws per chain " +
                $"({schedule.WarmupDraws} of them warm-up, then {kept} kept with thin {schedule.Thin}) on {chains} chains in {blocks.Count} " +
                $"block(s) and {workers} worker thread(s), {clock.Elapsed.TotalSeconds:F1} s in all." + (timeoutAdvice.Length > 0 ? " " + timeoutAdvice : ""));
        progress?.Report(new McmcProgress(total, total, schedule.WarmupDraws, clock.Elapsed));

        var statistics = accept ?? [];
        return new McmcChains(draws, chains, kept, dim, statistics, divergent);
    }
}
