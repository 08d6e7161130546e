namespace Sbi.Bench.Sbibm;

/// <summary>A budget's C2ST over its observations: mean and sample standard deviation (n − 1), as sbibm's tables.</summary>
/// <param name="Task">sbibm task name.</param>
/// <param name="Sims">Simulation budget.</param>
/// <param name="Rounds">Rounds.</param>
/// <param name="Count">Observations scored.</param>
/// <param name="Mean">Mean C2ST.</param>
/// <param name="Sd">Sample standard deviation (0 for one observation).</param>
public sealed record SbibmSummary(string Task, int Sims, int Rounds, int Count, double Mean, double Sd)
{
    /// <summary>sbibm's published figure for the same cell (NPE for one round, SNPE-C for more), if any.</summary>
    public PublishedC2st? Published => SbibmPublished.For(Task, Sims, Rounds);

    /// <summary>The summary of <paramref name="rows"/> (one task, budget and round count).</summary>
    public static SbibmSummary Of(IReadOnlyList<SbibmRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("no rows to summarise.", nameof(rows));
        double mean = rows.Average(r => r.C2st);
        double sd = rows.Count < 2 ? 0 : Math.Sqrt(rows.Sum(r => (r.C2st - mean) * (r.C2st - mean)) / (rows.Count - 1));
        return new SbibmSummary(rows[0].Task, rows[0].Sims, rows[0].Rounds, rows.Count, mean, sd);
    }
}
