namespace Sbi.Samplers;

/// <summary>
/// A Markov kernel that advances a block of chains by one draw per <see cref="Step"/>: one chain for
/// <c>slice_np</c>, HMC and NUTS, all chains of a block for <c>slice_np_vectorized</c>. Each chain draws from its own
/// <see cref="Random"/> stream, so a chain's path depends on its seed and start only, not on which thread or block
/// runs it. During warm-up (<c>adapting</c> true) the kernel tunes itself (slice widths; HMC/NUTS step size and
/// diagonal mass matrix) and freezes the tuning when warm-up ends.
/// </summary>
public interface IMcmcKernel
{
    /// <summary>Chains in the block.</summary>
    int NumChains { get; }

    /// <summary>Dimension D.</summary>
    int Dim { get; }

    /// <summary>Advances every chain of the block by one draw; <paramref name="adapting"/> is true during warm-up.</summary>
    void Step(bool adapting);

    /// <summary>The chains' current positions, (NumChains × D) row-major.</summary>
    ReadOnlySpan<double> Positions { get; }

    /// <summary>Per chain, the last step's acceptance statistic (HMC: min(1, e^−ΔH); NUTS: the tree's mean), or null for slice kernels.</summary>
    ReadOnlySpan<double> AcceptStatistics { get; }

    /// <summary>Per chain, whether the last step diverged (NUTS/HMC energy error above 1000), or all false.</summary>
    ReadOnlySpan<bool> Divergent { get; }
}
