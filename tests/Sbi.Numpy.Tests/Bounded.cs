using System.Diagnostics;
using NUnit.Framework;

namespace Sbi.Numpy.Tests;

/// <summary>
/// The budget for reading any file under 1 MB: at most 5 s and 200 MB before the reader's error (or result).
/// </summary>
internal static class Bounded
{
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(5);
    public const long MaxBytes = 200L << 20;

    /// <summary>
    /// Runs <paramref name="read"/> on this thread and asserts the budget. Memory is measured as the managed bytes
    /// this thread allocated during the call (<see cref="GC.GetAllocatedBytesForCurrentThread"/> delta): the readers
    /// are managed code run on the caller's thread (zlib's inflate state is a few KB of native memory), so whatever
    /// they hold at their peak they allocated here, and the delta bounds their footprint from above (it counts freed
    /// garbage too). The process's peak working set is checked as well, against its value before the call plus the
    /// budget, as a guard for native memory.
    /// </summary>
    public static T Run<T>(Func<T> read, string what)
    {
        using var proc = Process.GetCurrentProcess();
        proc.Refresh();
        long peakBefore = proc.PeakWorkingSet64, setBefore = proc.WorkingSet64;
        long allocBefore = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        try
        {
            return read();
        }
        finally
        {
            sw.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
            proc.Refresh();
            long peakGrowth = proc.PeakWorkingSet64 - Math.Max(peakBefore, setBefore);
            TestContext.Out.WriteLine($"{what}: {sw.ElapsedMilliseconds} ms, {allocated >> 20} MiB allocated, peak working set +{Math.Max(0, peakGrowth) >> 20} MiB");
            Assert.That(sw.Elapsed, Is.LessThan(MaxTime), $"{what}: time");
            Assert.That(allocated, Is.LessThan(MaxBytes), $"{what}: managed bytes allocated");
            Assert.That(peakGrowth, Is.LessThan(MaxBytes), $"{what}: growth of the peak working set");
        }
    }

    /// <summary>Runs <paramref name="read"/> within the budget and returns the exception it throws (any type, so the
    /// caller can assert the exact one).</summary>
    public static Exception? Fails(Action read, string what) =>
        Run<Exception?>(() =>
        {
            try { read(); return null; }
            catch (Exception e) { return e; }
        }, what);
}
