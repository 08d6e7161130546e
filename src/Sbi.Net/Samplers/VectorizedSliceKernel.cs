namespace Sbi.Samplers;

/// <summary>
/// sbi's <c>slice_np_vectorized</c> for a block of chains (<c>SliceSamplerVectorized</c>,
/// sbi/samplers/mcmc/slice_numpy.py): every chain runs the same coordinate-wise slice sampler as
/// <see cref="SliceKernel"/> (<see cref="SliceChain"/>), and each internal iteration evaluates the one row every
/// running chain needs in a single batched call of the target, so a network pays its per-call cost once per
/// iteration for the whole block. As in sbi the chains do not wait for each other: a chain that finishes its sweep
/// starts the next one while slower chains are still stepping out or shrinking, and its finished draws queue until
/// every chain of the block has one (<see cref="Step"/> then hands out one draw per chain). The first
/// <see cref="McmcKernelSettings.TuningSteps"/> sweeps of a chain are sbi's tuning sweeps: ordinary moves that also
/// set each coordinate's bracket width to the running mean of its final bracket widths.
/// </summary>
/// <remarks>
/// Which chains share an evaluation at each iteration follows from the chains' own draws alone, so a block gives the
/// same draws on every run with the same starts and streams; a float32 network can round a row differently in a batch
/// of another composition, which is why the runner never re-partitions a block (see <see cref="McmcKernels"/>).
/// With TuningSteps 0 each chain's path is that of a <see cref="SliceKernel"/> with the same start and stream,
/// bitwise, for a target whose rows do not depend on their batch (the two differ in tuning only, as sbi's do).
/// </remarks>
public sealed class VectorizedSliceKernel : IMcmcKernel
{
    /// <summary>Finished draws a chain may queue ahead of the slowest chain of its block.</summary>
    public const int MaxLookahead = 32;

    private readonly IMcmcTarget _target;
    private readonly SliceChain[] _chains;
    private readonly int _n, _d, _maxDraws;
    private readonly double[] _queue;      // per chain a ring of MaxLookahead draws
    private readonly int[] _head, _count, _produced, _active;
    private readonly double[] _rows, _values, _positions;
    private readonly bool[] _divergent;

    /// <summary>
    /// A block of chains of <paramref name="target"/> from <paramref name="inits"/> (chains × D, row-major, each with a
    /// finite log-density), chain c drawing from <paramref name="rngs"/>[c]. <paramref name="maxDraws"/> caps the
    /// sweeps any chain runs (the run's length, so that no chain queues draws nobody takes); null: no cap.
    /// </summary>
    public VectorizedSliceKernel(IMcmcTarget target, ReadOnlySpan<double> inits, IReadOnlyList<Random> rngs, McmcKernelSettings settings, int? maxDraws = null)
        : this(target, inits, rngs, settings, maxDraws, 0) { }

    internal VectorizedSliceKernel(IMcmcTarget target, ReadOnlySpan<double> inits, IReadOnlyList<Random> rngs, McmcKernelSettings settings, int? maxDraws, int firstChain)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rngs);
        ArgumentNullException.ThrowIfNull(settings);
        _d = target.Dim;
        _n = rngs.Count;
        if (_n < 1) throw new ArgumentException("a block needs at least one chain (one random stream per chain); got none.", nameof(rngs));
        if (inits.Length != (long)_n * _d)
            throw new ArgumentException($"inits must hold chains × D = {_n} × {_d} = {(long)_n * _d} values; got {inits.Length}.", nameof(inits));
        if (maxDraws is < 1) throw new ArgumentOutOfRangeException(nameof(maxDraws), maxDraws, $"maxDraws must be positive; got {maxDraws}.");
        _target = target;
        _maxDraws = maxDraws ?? int.MaxValue;
        _values = new double[_n];
        target.LogDensity(inits, _n, _values);
        _chains = new SliceChain[_n];
        for (int c = 0; c < _n; c++)
            _chains[c] = new SliceChain(firstChain + c, inits.Slice(c * _d, _d), _values[c], rngs[c], settings.InitWidth, settings.TuningSteps, separateTuning: false);
        _queue = new double[(long)_n * MaxLookahead * _d];
        _head = new int[_n];
        _count = new int[_n];
        _produced = new int[_n];
        _active = new int[_n];
        _rows = new double[(long)_n * _d];
        _positions = inits.ToArray();
        _divergent = new bool[_n];
    }

    /// <inheritdoc/>
    public int NumChains => _n;

    /// <inheritdoc/>
    public int Dim => _d;

    /// <summary>Batched target evaluations so far.</summary>
    public long Evaluations { get; private set; }

    /// <summary>Chain <paramref name="chain"/>'s bracket widths per coordinate.</summary>
    public ReadOnlySpan<double> Widths(int chain) => _chains[chain].Widths;

    /// <inheritdoc/>
    public void Step(bool adapting)
    {
        // Tuning is each chain's own first TuningSteps sweeps, whatever `adapting` says (see SliceKernel.Step).
        while (AnyQueueEmpty())
        {
            int m = 0;
            for (int c = 0; c < _n; c++)
            {
                if (_count[c] == MaxLookahead || _produced[c] >= _maxDraws) continue;
                _chains[c].WriteRequest(_rows.AsSpan(m * _d, _d));
                _active[m++] = c;
            }
            if (m == 0)
                throw new InvalidOperationException($"VectorizedSliceKernel.Step was called more than maxDraws = {_maxDraws} times.");
            _target.LogDensity(_rows.AsSpan(0, m * _d), m, _values.AsSpan(0, m));
            Evaluations++;
            for (int k = 0; k < m; k++)
            {
                int c = _active[k];
                if (!_chains[c].Receive(_values[k])) continue;
                int slot = (_head[c] + _count[c]) % MaxLookahead;
                _chains[c].Position.CopyTo(_queue.AsSpan((c * MaxLookahead + slot) * _d, _d));
                _count[c]++;
                _produced[c]++;
            }
        }
        for (int c = 0; c < _n; c++)
        {
            _queue.AsSpan((c * MaxLookahead + _head[c]) * _d, _d).CopyTo(_positions.AsSpan(c * _d, _d));
            _head[c] = (_head[c] + 1) % MaxLookahead;
            _count[c]--;
        }
    }

    private bool AnyQueueEmpty()
    {
        for (int c = 0; c < _n; c++) if (_count[c] == 0) return true;
        return false;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<double> Positions => _positions;

    /// <summary>Empty: a slice sampler accepts every draw.</summary>
    public ReadOnlySpan<double> AcceptStatistics => default;

    /// <inheritdoc/>
    public ReadOnlySpan<bool> Divergent => _divergent;
}
