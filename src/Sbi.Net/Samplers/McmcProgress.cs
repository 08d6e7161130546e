namespace Sbi.Samplers;

/// <summary>Where a run of chains stands: draws done of the total per chain (warm-up included), and the time since it began.</summary>
/// <param name="DrawsDone">Draws per chain done (the slowest block's count).</param>
/// <param name="DrawsTotal">Draws per chain in the run, warm-up included.</param>
/// <param name="WarmupDraws">Of those, warm-up draws.</param>
/// <param name="Elapsed">Wall-clock time since the run began.</param>
public sealed record McmcProgress(int DrawsDone, int DrawsTotal, int WarmupDraws, TimeSpan Elapsed);
