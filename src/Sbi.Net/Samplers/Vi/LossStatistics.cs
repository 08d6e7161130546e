namespace Sbi.Samplers.Vi;

/// <summary>
/// sbi's loss statistics and convergence check (<c>DivergenceOptimizer.update_loss_stats</c>, <c>converged</c> and
/// <c>get_loss_stats</c>, sbi/samplers/vi/vi_divergence_optimizers.py), in float64: a running mean of the last
/// <see cref="Window"/> losses (exact from step Window − 1 on; before that sbi's recursion started from the first
/// loss), a running spread and the slope (loss − moving average <see cref="Window"/> steps back) / Window. A non-finite
/// loss repeats the previous statistics, as in sbi. Training has converged when the mean slope over the last
/// <see cref="ConsideredValues"/> steps is smaller than eps in magnitude.
/// </summary>
public sealed class LossStatistics
{
    /// <summary>sbi's window of the running statistics (20).</summary>
    public const int Window = 20;

    /// <summary>sbi's window of the convergence check (50).</summary>
    public const int ConsideredValues = 50;

    private readonly List<double> _losses = [], _average = [], _std = [], _slope = [];

    /// <summary>Steps recorded.</summary>
    public int Count => _losses.Count;

    /// <summary>The moving average after the last step (NaN before the first).</summary>
    public double MovingAverage => Count == 0 ? double.NaN : _average[^1];

    /// <summary>sbi's running spread after the last step.</summary>
    public double MovingStd => Count == 0 ? double.NaN : _std[^1];

    /// <summary>Records one step's loss.</summary>
    public void Add(double loss)
    {
        int t = Count;
        if (t == 0)
        {
            // sbi's buffers start as ones: the first spread and slope are 1.
            _losses.Add(loss); _average.Add(loss); _std.Add(1); _slope.Add(1);
            return;
        }
        if (!double.IsFinite(loss))
        {
            _losses.Add(_losses[t - 1]); _average.Add(_average[t - 1]); _std.Add(_std[t - 1]); _slope.Add(_slope[t - 1]);
            return;
        }
        double dropped = _losses[Math.Max(t - Window, 0)];
        double average = _average[t - 1] + (loss - dropped) / Window;
        double std = Math.Abs(_std[t - 1] + (loss - dropped) / Window - _std[t - 1] / (Window - 1));
        double slope = (loss - _average[Math.Max(t - Window, 0)]) / Window;
        _losses.Add(loss); _average.Add(average); _std.Add(std); _slope.Add(slope);
    }

    /// <summary>sbi's <c>converged</c>: at least <see cref="ConsideredValues"/> steps and |mean slope over them| &lt; <paramref name="eps"/>.</summary>
    public bool Converged(double eps)
    {
        if (Count < ConsideredValues) return false;
        double sum = 0;
        for (int i = Count - ConsideredValues; i < Count; i++) sum += _slope[i];
        return Math.Abs(sum / ConsideredValues) < eps;
    }

    /// <summary>Whether the moving average is a true mean of the last <see cref="Window"/> losses (from step Window − 1 on).</summary>
    public bool AverageIsFull => Count >= Window;
}
