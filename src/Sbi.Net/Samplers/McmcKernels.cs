namespace Sbi.Samplers;

/// <summary>
/// The kernels of a run: the chains of a method, partitioned into blocks (<see cref="IMcmcKernel"/>s) by a rule that
/// depends on the number of chains alone, never on the worker count, so that a seed gives the same draws with any
/// <c>NumWorkers</c>. A block's draws depend on its chains' starts and streams and on which chains share its batched
/// evaluations (a float32 network can round a row differently in batches of other sizes), so the partition is fixed:
/// <list type="bullet">
/// <item><c>slice_np</c>, <c>hmc</c>, <c>nuts</c>: one chain per block (sbi runs them one by one, or one per worker).</item>
/// <item><c>slice_np_vectorized</c>: ⌈chains / <see cref="VectorizedBlockSize"/>⌉ blocks of consecutive chains, sizes
/// as equal as possible (the first chains mod blocks blocks one larger): sbi's one block for its default 20 chains
/// (sbi does not parallelise vectorised slice sampling at all), and blocks that workers can share from 21 chains on.</item>
/// </list>
/// </summary>
public static class McmcKernels
{
    /// <summary>The most chains one <c>slice_np_vectorized</c> block evaluates together: 20, sbi's default number of chains.</summary>
    public const int VectorizedBlockSize = 20;

    /// <summary>The sizes of the blocks the chains of <paramref name="method"/> run in, in chain order.</summary>
    public static int[] BlockSizes(string method, int numChains)
    {
        if (numChains < 1) throw new ArgumentOutOfRangeException(nameof(numChains), numChains, $"numChains must be positive; got {numChains}.");
        if (method != "slice_np_vectorized") return Enumerable.Repeat(1, numChains).ToArray();
        int blocks = (numChains + VectorizedBlockSize - 1) / VectorizedBlockSize;
        return Enumerable.Range(0, blocks).Select(b => numChains / blocks + (b < numChains % blocks ? 1 : 0)).ToArray();
    }

    /// <summary>
    /// The blocks for <paramref name="method"/> ("slice_np", "slice_np_vectorized", "hmc", "nuts") over
    /// <paramref name="target"/>, chain c starting at row c of <paramref name="inits"/> (chains × D) and drawing from
    /// <paramref name="rngs"/>[c]. <paramref name="maxDraws"/> is the run's draws per chain.
    /// </summary>
    public static IMcmcKernel[] Create(string method, IMcmcTarget target, ReadOnlySpan<double> inits, IReadOnlyList<Random> rngs,
                                       McmcKernelSettings settings, int maxDraws)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rngs);
        int d = target.Dim, chains = rngs.Count;
        if (inits.Length != (long)chains * d)
            throw new ArgumentException($"inits must hold chains × D = {chains} × {d} values; got {inits.Length}.", nameof(inits));
        var sizes = BlockSizes(method, chains);
        var blocks = new IMcmcKernel[sizes.Length];
        int c0 = 0;
        for (int b = 0; b < sizes.Length; b++)
        {
            var init = inits.Slice(c0 * d, sizes[b] * d);
            blocks[b] = method switch
            {
                "slice_np" => new SliceKernel(target, init, rngs[c0], settings, c0),
                "slice_np_vectorized" => new VectorizedSliceKernel(target, init, rngs.Skip(c0).Take(sizes[b]).ToArray(), settings, maxDraws, c0),
                "hmc" => new HmcKernel(target, init, rngs[c0], settings),
                "nuts" => new NutsKernel(target, init, rngs[c0], settings),
                _ => throw new ArgumentException($"method must be one of 'slice_np', 'slice_np_vectorized', 'hmc', 'nuts'; got '{method}'.", nameof(method)),
            };
            c0 += sizes[b];
        }
        return blocks;
    }

    /// <summary>
    /// Draws per chain discarded before the first kept one: for the slice samplers sbi's TuningSteps tuning sweeps
    /// plus warmupSteps·thin draws (<c>_slice_np_mcmc</c>'s <c>warmup_ = warmup_steps * thin</c>); for HMC and NUTS
    /// warmupSteps, as sbi passes it to Pyro's <c>MCMC(warmup_steps=…)</c>.
    /// </summary>
    public static int WarmupDraws(string method, int warmupSteps, int thin, McmcKernelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return method is "slice_np" or "slice_np_vectorized" ? checked(settings.TuningSteps + warmupSteps * thin) : warmupSteps;
    }
}
