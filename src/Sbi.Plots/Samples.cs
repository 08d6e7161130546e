using static TorchSharp.torch;

namespace Sbi.Plots;

/// <summary>Sample sets as the plots read them: columns of doubles, rows with NaN or ±inf dropped (sbi's <c>handle_nan_infs</c>).</summary>
internal static class Samples
{
    /// <summary>(n, D) as D columns of the finite rows.</summary>
    public static double[][] Columns(double[,] samples, string argumentName)
    {
        ArgumentNullException.ThrowIfNull(samples, argumentName);
        int n = samples.GetLength(0), d = samples.GetLength(1);
        if (n == 0 || d == 0) throw new ArgumentException($"{argumentName} must have at least one row and one column; got ({n}, {d}).", argumentName);
        var keep = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, d).All(j => double.IsFinite(samples[i, j]))).ToArray();
        if (keep.Length == 0) throw new ArgumentException($"{argumentName} has no finite row among its {n}.", argumentName);
        return Enumerable.Range(0, d).Select(j => keep.Select(i => samples[i, j]).ToArray()).ToArray();
    }

    /// <summary>A (n, D) or (D) tensor as a (n, D) array of doubles.</summary>
    public static double[,] FromTensor(Tensor t, string argumentName)
    {
        ArgumentNullException.ThrowIfNull(t, argumentName);
        using var scope = NewDisposeScope();
        var m = t.dim() == 1 ? t.unsqueeze(0) : t;
        if (m.dim() != 2) throw new ArgumentException($"{argumentName} must have shape (n, D) or (D); got ({string.Join(", ", t.shape)}).", argumentName);
        var flat = m.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
        int rows = (int)m.shape[0], cols = (int)m.shape[1];
        var a = new double[rows, cols];
        Buffer.BlockCopy(flat, 0, a, 0, flat.Length * sizeof(double));
        return a;
    }

    /// <summary>sbi's <c>infer_limits</c>: per dimension the range of the samples and points, widened by 10 % on each side (a constant column by ±0.5).</summary>
    public static (double Lo, double Hi)[] InferLimits(double[][] columns, IReadOnlyList<double[]>? points)
    {
        return columns.Select((c, j) =>
        {
            double lo = c.Min(), hi = c.Max();
            if (points is not null)
                foreach (var p in points) { lo = Math.Min(lo, p[j]); hi = Math.Max(hi, p[j]); }
            double margin = 0.1 * (hi - lo);
            return margin > 0 ? (lo - margin, hi + margin) : (lo - 0.5, hi + 0.5);
        }).ToArray();
    }

    /// <summary>Counts of <paramref name="values"/> in <paramref name="bins"/> equal bins on [lo, hi] (last bin closed; values outside dropped).</summary>
    public static double[] Histogram(IEnumerable<double> values, int bins, double lo, double hi)
    {
        var counts = new double[bins];
        double width = (hi - lo) / bins;
        foreach (var v in values)
        {
            if (v < lo || v > hi) continue;
            int i = (int)Math.Floor((v - lo) / width);
            counts[Math.Clamp(i, 0, bins - 1)]++;
        }
        return counts;
    }
}
