namespace Sbi.Samplers;

/// <summary>
/// One chain of sbi's coordinate-wise slice sampler (Neal 2003, stepping out and shrinkage), as a state machine that
/// asks for one log-density at a time, so that <see cref="SliceKernel"/> can drive one chain and
/// <see cref="VectorizedSliceKernel"/> a block of chains with one batched evaluation per step. The update of
/// coordinate i is sbi's <c>SliceSampler._sample_from_conditional</c> and <c>SliceSamplerVectorized.run</c>'s
/// BEGIN / LOWER / UPPER / SAMPLE_SLICE states (sbi/samplers/mcmc/slice_numpy.py at 900821dc), with the random draws in
/// sbi's order from the chain's own stream: log u = L(x) + log(1 − U), lower end x_i − w_i·U, upper end lower + w_i,
/// step out by w_i while L ≥ log u, a proposal (upper − lower)·U + lower, shrink towards x_i on rejection. A sweep
/// updates every coordinate once, in an order shuffled per sweep (numpy's Fisher–Yates, from the last position down).
/// </summary>
/// <remarks>
/// <para>Tuning (sbi's 50 steps with width 0.01) comes in sbi's two flavours. <c>separateTuning</c> false is
/// <c>SliceSamplerVectorized</c>: the first TuningSteps sweeps are ordinary sweeps of the chain that also update the
/// width of each coordinate to the running mean of its final bracket widths. <c>separateTuning</c> true is
/// <c>SliceSampler._tune_bracket_width</c>: the tuning sweeps take coordinates in index order, each one a
/// one-dimensional slice chain of its conditional at the start (sbi evaluates <c>self.x</c>, which tuning does not
/// move, with coordinate i replaced), so the chain stays at its start until tuning ends. sbi's tuning loop also
/// shuffles an order it never uses; that draw is not reproduced (the streams are not numpy's anyway).</para>
/// <para>Differences from sbi that change no draw of a deterministic target: L at the current point is the value
/// computed when the point was accepted instead of a new evaluation (sbi evaluates it again at the start of every
/// coordinate update), and a shrink that lands exactly on the current coordinate accepts it without an evaluation
/// (the current point always lies in its own slice). Guards sbi lacks: stepping out stops with an error after
/// <see cref="MaxStepOut"/> steps on one side (a potential that does not decay, where sbi loops for ever), and
/// shrinking accepts the current point after <see cref="MaxShrink"/> rejections (a float32 potential evaluated in
/// another batch can round the current point just below its own slice).</para>
/// </remarks>
internal sealed class SliceChain
{
    /// <summary>Steps out on one side of a bracket before the target is declared improper along a coordinate.</summary>
    public const int MaxStepOut = 100_000;

    /// <summary>Shrink steps after which the current point is kept (bisection reaches float64 resolution in ~1,100).</summary>
    public const int MaxShrink = 10_000;

    private enum Phase { Lower, Upper, Shrink }

    private readonly int _d;
    private readonly Random _rng;
    private readonly double[] _x, _width, _tuneX, _tuneL;
    private readonly int[] _order;
    private readonly int _tuningSteps;
    private readonly bool _separateTuning;
    private readonly int _chain;
    private double _logDensity;
    private int _i, _coord, _steps;
    private Phase _phase;
    private double _cxi, _wi, _logu, _lx, _ux, _xi, _pending;

    /// <summary>
    /// A chain at <paramref name="start"/> with log-density <paramref name="startLogDensity"/> (finite), drawing from
    /// <paramref name="rng"/>; widths start at <paramref name="initWidth"/>.
    /// </summary>
    public SliceChain(int chain, ReadOnlySpan<double> start, double startLogDensity, Random rng, double initWidth, int tuningSteps, bool separateTuning)
    {
        if (!double.IsFinite(startLogDensity))
            throw new ArgumentException($"chain {chain} starts where the target's log-density is {startLogDensity}; a slice sampler needs a start with a finite log-density.", nameof(startLogDensity));
        if (!(initWidth > 0) || double.IsInfinity(initWidth))
            throw new ArgumentOutOfRangeException(nameof(initWidth), initWidth, $"the initial slice width must be positive and finite; got {initWidth}.");
        if (tuningSteps < 0) throw new ArgumentOutOfRangeException(nameof(tuningSteps), tuningSteps, $"tuningSteps must be ≥ 0; got {tuningSteps}.");
        _chain = chain;
        _d = start.Length;
        _rng = rng;
        _x = start.ToArray();
        _width = Enumerable.Repeat(initWidth, _d).ToArray();
        _order = Enumerable.Range(0, _d).ToArray();
        _tuningSteps = tuningSteps;
        _separateTuning = separateTuning && tuningSteps > 0;
        _logDensity = startLogDensity;
        if (_separateTuning)
        {
            _tuneX = start.ToArray();
            _tuneL = Enumerable.Repeat(startLogDensity, _d).ToArray();
        }
        else
        {
            _tuneX = _tuneL = [];
        }
        BeginSweep();
    }

    /// <summary>Sweeps completed (tuning sweeps included).</summary>
    public int Sweeps { get; private set; }

    /// <summary>The position after the last completed sweep (D).</summary>
    public ReadOnlySpan<double> Position => _x;

    /// <summary>The current bracket widths per coordinate (tuned during the first TuningSteps sweeps).</summary>
    public ReadOnlySpan<double> Widths => _width;

    private bool Tuning => Sweeps < _tuningSteps;

    private bool SeparateTuningNow => _separateTuning && Tuning;

    /// <summary>Writes the row whose log-density the chain needs next (D values).</summary>
    public void WriteRequest(Span<double> row)
    {
        // sbi's tuning evaluates self.x (the start, unmoved) with coordinate i replaced.
        _x.CopyTo(row);
        row[_coord] = _pending;
    }

    /// <summary>Takes the log-density of the requested row; returns true when that completed a sweep (<see cref="Position"/> is then the new draw).</summary>
    public bool Receive(double logDensity)
    {
        switch (_phase)
        {
            case Phase.Lower:
                // while Li(lx) >= logu and cxi - lx < max_width (max_width = ∞ in sbi's MCMC): lx -= wi
                if (logDensity >= _logu)
                {
                    StepGuard("lower");
                    _lx -= _wi;
                    _pending = _lx;
                }
                else
                {
                    _phase = Phase.Upper;
                    _steps = 0;
                    _pending = _ux;
                }
                return false;
            case Phase.Upper:
                if (logDensity >= _logu)
                {
                    StepGuard("upper");
                    _ux += _wi;
                    _pending = _ux;
                    return false;
                }
                _phase = Phase.Shrink;
                _steps = 0;
                return Propose();
            default:
                if (logDensity >= _logu) return Accept(_xi, logDensity);
                if (_xi < _cxi) _lx = _xi;
                else _ux = _xi;
                if (++_steps >= MaxShrink) return Accept(_cxi, CurrentLogDensity);
                return Propose();
        }
    }

    private void StepGuard(string side)
    {
        if (++_steps >= MaxStepOut)
            throw new InvalidOperationException(
                $"Slice sampling, chain {_chain}: the {side} end of the bracket of coordinate {_coord} stepped out {MaxStepOut} times (width {_wi:G3}) " +
                "without leaving the slice, so the target does not decay along it (an improper potential, or a prior without a usable ThetaTransform).");
    }

    /// <summary>xi = (ux − lx)·U + lx; the current coordinate itself is in the slice and accepted without an evaluation.</summary>
    private bool Propose()
    {
        _xi = (_ux - _lx) * _rng.NextDouble() + _lx;
        if (_xi == _cxi) return Accept(_cxi, CurrentLogDensity);
        _pending = _xi;
        return false;
    }

    private double CurrentLogDensity => SeparateTuningNow ? _tuneL[_coord] : _logDensity;

    private bool Accept(double value, double logDensity)
    {
        int i = _coord;
        if (Tuning) _width[i] += (_ux - _lx - _width[i]) / (Sweeps + 1);
        if (SeparateTuningNow)
        {
            _tuneX[i] = value;
            _tuneL[i] = logDensity;
        }
        else
        {
            _x[i] = value;
            _logDensity = logDensity;
        }
        if (++_i < _d)
        {
            BeginCoordinate();
            return false;
        }
        Sweeps++;
        BeginSweep();
        return true;
    }

    private void BeginSweep()
    {
        _i = 0;
        if (!SeparateTuningNow) Shuffle(_order);
        else for (int j = 0; j < _d; j++) _order[j] = j;
        BeginCoordinate();
    }

    /// <summary>sbi's BEGIN state with L(x) known: the slice level and a bracket of width w_i placed at random around x_i.</summary>
    private void BeginCoordinate()
    {
        _coord = _order[_i];
        _cxi = SeparateTuningNow ? _tuneX[_coord] : _x[_coord];
        _wi = _width[_coord];
        _logu = CurrentLogDensity + Math.Log(1.0 - _rng.NextDouble());
        _lx = _cxi - _wi * _rng.NextDouble();
        _ux = _lx + _wi;
        _phase = Phase.Lower;
        _steps = 0;
        _pending = _lx;
    }

    /// <summary>numpy's <c>shuffle</c> (Fisher–Yates from the last position down).</summary>
    private void Shuffle(int[] order)
    {
        for (int j = order.Length - 1; j > 0; j--)
        {
            int k = _rng.Next(j + 1);
            (order[j], order[k]) = (order[k], order[j]);
        }
    }
}
