namespace Sbi.Samplers;

/// <summary>
/// sbi's <c>slice_np</c>: one chain of coordinate-wise slice sampling (<c>SliceSampler</c> run by
/// <c>SliceSamplerSerial</c>, sbi/samplers/mcmc/slice_numpy.py), one target evaluation per row. Each
/// <see cref="Step"/> is one sweep over the D coordinates (<see cref="SliceChain"/>). The first
/// <see cref="McmcKernelSettings.TuningSteps"/> steps are sbi's separate bracket tuning: the widths, from
/// <see cref="McmcKernelSettings.InitWidth"/>, become the mean final bracket widths of one-dimensional slice chains of
/// each conditional at the start, and the chain stays at its start meanwhile (so the runner counts them as warm-up).
/// </summary>
/// <remarks>
/// sbi's <c>SliceSampler.gen</c> runs <c>thin</c> sweeps per returned sample and <c>SliceSamplerSerial.run</c> then
/// keeps every thin-th of those, so <c>slice_np</c> with thin t runs t² sweeps per kept draw while
/// <c>slice_np_vectorized</c> runs t. Here one step is one sweep for both and the runner thins once, as sbi's
/// documentation says the two samplers are the same algorithm.
/// </remarks>
public sealed class SliceKernel : IMcmcKernel
{
    private readonly IMcmcTarget _target;
    private readonly SliceChain _chain;
    private readonly double[] _row;
    private readonly double[] _value = new double[1];
    private readonly bool[] _divergent = new bool[1];

    /// <summary>One chain of <paramref name="target"/> from <paramref name="init"/> (D values with a finite log-density), drawing from <paramref name="rng"/>.</summary>
    public SliceKernel(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings)
        : this(target, init, rng, settings, 0) { }

    internal SliceKernel(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings, int chainIndex)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(settings);
        if (init.Length != target.Dim)
            throw new ArgumentException($"init must hold the target's D = {target.Dim} values; got {init.Length}.", nameof(init));
        _target = target;
        _row = init.ToArray();
        target.LogDensity(_row, 1, _value);
        _chain = new SliceChain(chainIndex, init, _value[0], rng, settings.InitWidth, settings.TuningSteps, separateTuning: true);
    }

    /// <inheritdoc/>
    public int NumChains => 1;

    /// <inheritdoc/>
    public int Dim => _target.Dim;

    /// <summary>Sweeps done, tuning included.</summary>
    public int Sweeps => _chain.Sweeps;

    /// <summary>The bracket widths per coordinate.</summary>
    public ReadOnlySpan<double> Widths => _chain.Widths;

    /// <inheritdoc/>
    public void Step(bool adapting)
    {
        // Slice tuning is the kernel's own first TuningSteps sweeps, whatever `adapting` says (sbi tunes before its
        // warm-up draws, which the runner discards after them).
        do
        {
            _chain.WriteRequest(_row);
            _target.LogDensity(_row, 1, _value);
        }
        while (!_chain.Receive(_value[0]));
    }

    /// <inheritdoc/>
    public ReadOnlySpan<double> Positions => _chain.Position;

    /// <summary>Empty: a slice sampler accepts every draw.</summary>
    public ReadOnlySpan<double> AcceptStatistics => default;

    /// <inheritdoc/>
    public ReadOnlySpan<bool> Divergent => _divergent;
}
