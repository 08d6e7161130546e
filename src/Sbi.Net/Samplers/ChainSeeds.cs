namespace Sbi.Samplers;

/// <summary>
/// One random stream per chain, derived from a run's seed and the chain's index alone (SplitMix64 of both), so a
/// chain's draws are the same whether 1 or 16 threads run the chains, and whichever block a chain lands in.
/// </summary>
public static class ChainSeeds
{
    /// <summary>The seed of chain <paramref name="chain"/> in a run seeded with <paramref name="runSeed"/>.</summary>
    public static int For(long runSeed, int chain)
    {
        ulong z = unchecked((ulong)runSeed + 0x9E3779B97F4A7C15UL * (ulong)(chain + 1));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFF_FFFF);
    }

    /// <summary>A <see cref="Random"/> per chain (seeded <see cref="Random(int)"/>, whose sequence .NET keeps stable).</summary>
    public static Random[] Streams(long runSeed, int numChains) =>
        Enumerable.Range(0, numChains).Select(c => new Random(For(runSeed, c))).ToArray();
}
