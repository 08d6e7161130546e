namespace Sbi.Cli;

/// <summary>
/// Refuses sample counts whose output cannot fit in memory before sampling starts: n × D float32 values must fit one
/// .NET array and, with room for the sampler's own copy (the samples tensor and the array written), in the memory
/// this process may use.
/// </summary>
internal static class SampleBudget
{
    /// <summary>Throws a <see cref="UsageException"/> naming -n when <paramref name="n"/> × <paramref name="dim"/> does not fit.</summary>
    public static void Check(long n, long dim)
    {
        long values = n * dim;
        if (values > Array.MaxLength)
            throw new UsageException($"-n {n} with {dim} parameters is {values:N0} values, more than one array holds ({Array.MaxLength:N0}); ask for at most {Array.MaxLength / dim:N0}");
        long bytes = 2 * values * sizeof(float);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new UsageException($"-n {n} with {dim} parameters needs about {bytes / (1 << 20):N0} MiB (the samples and their copy for the file), " +
                                     $"more than the {available / (1 << 20):N0} MiB available; ask for at most {available / (2L * sizeof(float) * dim):N0}");
    }
}
