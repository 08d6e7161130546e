namespace Sbi.Samplers;

/// <summary>
/// How many draws each chain runs and which it keeps: <see cref="WarmupDraws"/> discarded, then every
/// <see cref="Thin"/>-th draw kept, <see cref="KeptPerChain"/> of them. Draw s (0-based) is kept when s ≥ WarmupDraws
/// and (s − WarmupDraws) is a multiple of Thin, so a run needs WarmupDraws + (KeptPerChain − 1)·Thin + 1 draws.
/// </summary>
/// <param name="WarmupDraws">Draws per chain discarded before the first kept one (tuning and warm-up).</param>
/// <param name="KeptPerChain">Draws kept per chain.</param>
/// <param name="Thin">Keep every Thin-th draw after warm-up.</param>
public sealed record McmcSchedule(int WarmupDraws, int KeptPerChain, int Thin)
{
    /// <summary>Draws per chain the run takes, warm-up included.</summary>
    public int TotalDraws => checked(WarmupDraws + (KeptPerChain - 1) * Thin + 1);

    /// <summary>Whether draw <paramref name="step"/> (0-based) is kept, and as which kept draw.</summary>
    public bool IsKept(int step, out int index)
    {
        index = -1;
        int after = step - WarmupDraws;
        if (after < 0 || after % Thin != 0) return false;
        index = after / Thin;
        return index < KeptPerChain;
    }

    /// <summary>
    /// sbi's counts (<c>MCMCPosterior._slice_np_mcmc</c>, sbi/inference/posteriors/mcmc_posterior.py): for
    /// <paramref name="numSamples"/> samples from <paramref name="numChains"/> chains each chain runs
    /// m = ⌈numSamples·thin / numChains⌉ draws after warm-up and keeps every thin-th, ⌈m / thin⌉ of them; the chains'
    /// kept draws are concatenated chain after chain and the first numSamples returned.
    /// </summary>
    public static McmcSchedule Sbi(long numSamples, int numChains, int warmupDraws, int thin)
    {
        if (numSamples < 1) throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, $"numSamples must be positive; got {numSamples}.");
        if (numChains < 1) throw new ArgumentOutOfRangeException(nameof(numChains), numChains, $"numChains must be positive; got {numChains}.");
        if (warmupDraws < 0) throw new ArgumentOutOfRangeException(nameof(warmupDraws), warmupDraws, $"warmupDraws must be ≥ 0; got {warmupDraws}.");
        if (thin < 1) throw new ArgumentOutOfRangeException(nameof(thin), thin, $"thin must be ≥ 1; got {thin}.");
        long m = CeilDiv(numSamples * thin, numChains);
        long kept = CeilDiv(m, thin);
        if (kept > int.MaxValue / Math.Max(thin, 1) - warmupDraws)
            throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples,
                $"numSamples = {numSamples} needs {kept} draws per chain from {numChains} chains, more than one run can hold; use more chains or fewer samples.");
        return new McmcSchedule(warmupDraws, (int)kept, thin);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
