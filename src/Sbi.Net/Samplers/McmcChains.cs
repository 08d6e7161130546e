namespace Sbi.Samplers;

/// <summary>
/// The kept draws of a run of chains, chain-major: chain c's kept draw t at row c·DrawsPerChain + t of
/// <see cref="Draws"/> (rows × Dim, row-major), with the kernels' per-draw acceptance statistics and divergence flags
/// in the same order where they have them.
/// </summary>
/// <param name="Draws">Kept draws, (NumChains·DrawsPerChain) × Dim.</param>
/// <param name="NumChains">Chains.</param>
/// <param name="DrawsPerChain">Kept draws per chain.</param>
/// <param name="Dim">Dimension D.</param>
/// <param name="AcceptStatistics">Per kept draw, the kernel's acceptance statistic; empty for slice kernels.</param>
/// <param name="Divergent">Per kept draw, whether the transition diverged.</param>
public sealed record McmcChains(double[] Draws, int NumChains, int DrawsPerChain, int Dim, double[] AcceptStatistics, bool[] Divergent)
{
    /// <summary>Chain <paramref name="chain"/>'s kept draws (DrawsPerChain × Dim).</summary>
    public ReadOnlySpan<double> Chain(int chain) => Draws.AsSpan(chain * DrawsPerChain * Dim, DrawsPerChain * Dim);

    /// <summary>The chains whose kept draws are all equal (a chain that never moved); empty with fewer than two draws per chain.</summary>
    public IReadOnlyList<int> StuckChains()
    {
        var stuck = new List<int>();
        if (DrawsPerChain < 2) return stuck;
        for (int c = 0; c < NumChains; c++)
        {
            var chain = Chain(c);
            var first = chain[..Dim];
            bool moved = false;
            for (int t = 1; t < DrawsPerChain && !moved; t++) moved = !chain.Slice(t * Dim, Dim).SequenceEqual(first);
            if (!moved) stuck.Add(c);
        }
        return stuck;
    }
}
