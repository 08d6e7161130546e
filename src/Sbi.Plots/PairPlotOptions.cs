namespace Sbi.Plots;

/// <summary>
/// What sbi's <c>pairplot</c> and <c>marginal_plot</c> take besides the samples (sbi/analysis/plot.py), with sbi's
/// defaults: a histogram diagonal, a histogram upper triangle, nothing below.
/// </summary>
public sealed record PairPlotOptions
{
    /// <summary>Reference points (each of length D, e.g. the true θ), drawn over every cell; null: none.</summary>
    public IReadOnlyList<double[]>? Points { get; init; }

    /// <summary>Axis limits per dimension, or one pair for all; null: the samples' and points' range widened by 10 % (sbi's <c>infer_limits</c>).</summary>
    public IReadOnlyList<(double Lo, double Hi)>? Limits { get; init; }

    /// <summary>Parameter names, one per dimension; null: "dim 1", "dim 2", … (sbi's defaults).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>The dimensions to show (0-based), in order; null: all.</summary>
    public IReadOnlyList<int>? Subset { get; init; }

    /// <summary>Diagonal: <see cref="PlotKinds.Hist"/> or null.</summary>
    public string? Diag { get; init; } = PlotKinds.Hist;

    /// <summary>Upper triangle: <see cref="PlotKinds.Hist"/>, <see cref="PlotKinds.Contour"/>, <see cref="PlotKinds.Scatter"/> or null.</summary>
    public string? Upper { get; init; } = PlotKinds.Hist;

    /// <summary>Lower triangle: as <see cref="Upper"/>; null (sbi's default) leaves it empty.</summary>
    public string? Lower { get; init; }

    /// <summary>Bins of the histograms and of the density grid (sbi: 50).</summary>
    public int Bins { get; init; } = 50;

    /// <summary>Fractions of mass the contour lines enclose (sbi: 0.68, 0.95, 0.99).</summary>
    public IReadOnlyList<double> ContourLevels { get; init; } = [0.68, 0.95, 0.99];

    /// <summary>Figure title; null: none.</summary>
    public string? Title { get; init; }

    /// <summary>Image size in pixels; null: 250 per shown dimension (pair plot square; marginal plot 250 high).</summary>
    public int? Width { get; init; }

    /// <summary>Image size in pixels; see <see cref="Width"/>.</summary>
    public int? Height { get; init; }
}
