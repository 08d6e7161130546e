namespace Sbi.Samplers;

/// <summary>
/// Stan's warm-up schedule for the metric (stan/mcmc/windowed_adaptation.hpp): an initial fast buffer of 75
/// iterations (the chain finds the typical set; only the step size adapts), then slow windows of 25, 50, 100, …
/// iterations whose draws estimate the variances (each window twice the previous; the last one stretched to the
/// terminal buffer when the next doubling would not fit), then a terminal fast buffer of 50 iterations in which only
/// the step size adapts to the final metric. When the warm-up is shorter than 75 + 25 + 50 = 150 the three stages
/// take 15 %, 75 % and 10 % of it (one slow window); below 20 warm-up iterations there is no window at all. The
/// arithmetic is Stan's, including its truncations, so that the windows fall where Stan users expect them.
/// </summary>
internal sealed class WindowedAdaptation
{
    /// <summary>Stan's default initial buffer.</summary>
    public const int DefaultInitBuffer = 75;

    /// <summary>Stan's default terminal buffer.</summary>
    public const int DefaultTermBuffer = 50;

    /// <summary>Stan's default first slow window.</summary>
    public const int DefaultBaseWindow = 25;

    /// <summary>Below this many warm-up iterations Stan adapts no metric.</summary>
    public const int MinWarmup = 20;

    private readonly int _numWarmup, _initBuffer, _termBuffer, _baseWindow;
    private int _windowSize, _nextWindow;

    /// <summary>The schedule for <paramref name="numWarmup"/> warm-up iterations.</summary>
    public WindowedAdaptation(int numWarmup)
    {
        if (numWarmup < 0) throw new ArgumentOutOfRangeException(nameof(numWarmup), numWarmup, $"{nameof(numWarmup)} must be non-negative; got {numWarmup}.");
        if (numWarmup < MinWarmup)
        {
            // Stan leaves num_warmup_ at 0 here, which closes every window.
            _numWarmup = 0;
        }
        else if (DefaultInitBuffer + DefaultBaseWindow + DefaultTermBuffer > numWarmup)
        {
            _numWarmup = numWarmup;
            _initBuffer = (int)(0.15 * numWarmup);
            _termBuffer = (int)(0.1 * numWarmup);
            _baseWindow = numWarmup - (_initBuffer + _termBuffer);
        }
        else
        {
            _numWarmup = numWarmup;
            _initBuffer = DefaultInitBuffer;
            _termBuffer = DefaultTermBuffer;
            _baseWindow = DefaultBaseWindow;
        }
        Counter = 0;
        _windowSize = _baseWindow;
        _nextWindow = _initBuffer + _windowSize - 1;
    }

    /// <summary>Warm-up iterations seen so far (Stan's <c>adapt_window_counter_</c>).</summary>
    public int Counter { get; private set; }

    /// <summary>Whether the current iteration's draw belongs to a slow window.</summary>
    public bool InWindow => _numWarmup > 0 && Counter >= _initBuffer && Counter < _numWarmup - _termBuffer && Counter != _numWarmup;

    /// <summary>Whether the current iteration closes a slow window (its draw is the window's last).</summary>
    public bool EndOfWindow => _numWarmup > 0 && Counter == _nextWindow && Counter != _numWarmup;

    /// <summary>Moves the window boundary on after a window closed (Stan's <c>compute_next_window</c>).</summary>
    public void ComputeNextWindow()
    {
        int lastWindowEnd = _numWarmup - _termBuffer - 1;
        if (_nextWindow == lastWindowEnd) return;
        _windowSize *= 2;
        _nextWindow = Counter + _windowSize;
        if (_nextWindow != lastWindowEnd && _nextWindow + 2 * _windowSize >= _numWarmup - _termBuffer)
            _nextWindow = lastWindowEnd;
    }

    /// <summary>Counts the current iteration.</summary>
    public void Advance() => Counter++;

    /// <summary>The slow windows of a warm-up of <paramref name="numWarmup"/> iterations, as (first, last) iteration indices (0-based, inclusive).</summary>
    public static IReadOnlyList<(int First, int Last)> Windows(int numWarmup)
    {
        var schedule = new WindowedAdaptation(numWarmup);
        var windows = new List<(int, int)>();
        int first = -1;
        for (int i = 0; i < numWarmup; i++)
        {
            if (schedule.InWindow && first < 0) first = i;
            if (schedule.EndOfWindow)
            {
                windows.Add((first, i));
                first = -1;
                schedule.ComputeNextWindow();
            }
            schedule.Advance();
        }
        return windows;
    }
}
