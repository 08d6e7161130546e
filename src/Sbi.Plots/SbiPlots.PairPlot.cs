using ScottPlot;
using static TorchSharp.torch;

namespace Sbi.Plots;

/// <summary>
/// sbi's analysis plots (sbi/analysis/plot.py at 900821dc), drawn with ScottPlot and written as PNG files: pair and
/// marginal plots of samples, SBC rank plots, TARP's coverage curve and training curves. Each method checks its
/// arguments (unknown plot kinds, mismatched shapes, too few samples for the bins, an unwritable path: an
/// <see cref="ArgumentException"/> naming the argument) before drawing, and returns the full path it wrote.
/// </summary>
public static partial class SbiPlots
{
    /// <summary>sbi's <c>pairplot</c> of one sample set (n, D): see <see cref="PairPlot(IReadOnlyList{double[,]}, string, PairPlotOptions?)"/>.</summary>
    public static string PairPlot(Tensor samples, string path, PairPlotOptions? options = null) =>
        PairPlot([Samples.FromTensor(samples, nameof(samples))], path, options);

    /// <summary>sbi's <c>pairplot</c> of one sample set (n, D): see <see cref="PairPlot(IReadOnlyList{double[,]}, string, PairPlotOptions?)"/>.</summary>
    public static string PairPlot(double[,] samples, string path, PairPlotOptions? options = null) => PairPlot([samples], path, options);

    /// <summary>
    /// sbi's <c>pairplot</c>: a D × D grid with each dimension's histogram on the diagonal and each pair's 2-D
    /// histogram, density contours or scatter in the upper (and optionally lower) triangle; reference points as lines
    /// on the diagonal and markers elsewhere. Several sample sets share the grid in colours C0, C1, … (a 2-D histogram
    /// shows the first set only).
    /// </summary>
    /// <param name="sampleSets">Sample sets, each (n, D) with the same D; rows with NaN or inf are ignored.</param>
    /// <param name="path">The .png to write (its folder must exist).</param>
    /// <param name="options">Kinds, points, limits, labels, subset, bins, size.</param>
    public static string PairPlot(IReadOnlyList<double[,]> sampleSets, string path, PairPlotOptions? options = null)
    {
        var o = options ?? new PairPlotOptions();
        PlotKinds.Check(o.Diag, PlotKinds.Diagonal, "diag");
        PlotKinds.Check(o.Upper, PlotKinds.OffDiagonal, "upper");
        PlotKinds.Check(o.Lower, PlotKinds.OffDiagonal, "lower");
        var grid = Grid.Prepare(sampleSets, o, nameof(sampleSets));
        int k = grid.Dims.Length;
        int width = o.Width ?? 250 * k, height = o.Height ?? 250 * k;
        CheckSize(width, height);
        return PlotFile.Save(path, nameof(path), file =>
        {
            var figure = new Multiplot();
            figure.AddPlots(k * k);
            figure.Layout = new ScottPlot.MultiplotLayouts.Grid(k, k);
            for (int r = 0; r < k; r++)
                for (int c = 0; c < k; c++)
                {
                    var plot = figure.GetPlot(r * k + c);
                    string? kind = r == c ? o.Diag : c > r ? o.Upper : o.Lower;
                    if (kind is null) { Blank(plot); continue; }
                    if (r == c) DrawDiagonal(plot, grid, r, o);
                    else DrawOffDiagonal(plot, grid, r, c, kind, o);
                }
            if (o.Title is not null) figure.GetPlot(0).Title(o.Title);
            figure.SavePng(file, width, height);
        });
    }

    /// <summary>sbi's <c>marginal_plot</c> of one sample set: see <see cref="MarginalPlot(IReadOnlyList{double[,]}, string, PairPlotOptions?)"/>.</summary>
    public static string MarginalPlot(Tensor samples, string path, PairPlotOptions? options = null) =>
        MarginalPlot([Samples.FromTensor(samples, nameof(samples))], path, options);

    /// <summary>sbi's <c>marginal_plot</c> of one sample set: see <see cref="MarginalPlot(IReadOnlyList{double[,]}, string, PairPlotOptions?)"/>.</summary>
    public static string MarginalPlot(double[,] samples, string path, PairPlotOptions? options = null) => MarginalPlot([samples], path, options);

    /// <summary>
    /// sbi's <c>marginal_plot</c>: one row with each dimension's histogram (the diagonal of <see cref="PairPlot(IReadOnlyList{double[,]}, string, PairPlotOptions?)"/>),
    /// reference points as vertical lines. Uses <see cref="PairPlotOptions.Diag"/>, Points, Limits, Labels, Subset, Bins, Title and the size.
    /// </summary>
    public static string MarginalPlot(IReadOnlyList<double[,]> sampleSets, string path, PairPlotOptions? options = null)
    {
        var o = options ?? new PairPlotOptions();
        PlotKinds.Check(o.Diag, PlotKinds.Diagonal, "diag", nullable: false);
        var grid = Grid.Prepare(sampleSets, o, nameof(sampleSets));
        int k = grid.Dims.Length;
        int width = o.Width ?? 250 * k, height = o.Height ?? 250;
        CheckSize(width, height);
        return PlotFile.Save(path, nameof(path), file =>
        {
            var figure = new Multiplot();
            figure.AddPlots(k);
            figure.Layout = new ScottPlot.MultiplotLayouts.Grid(1, k);
            for (int c = 0; c < k; c++) DrawDiagonal(figure.GetPlot(c), grid, c, o);
            if (o.Title is not null) figure.GetPlot(0).Title(o.Title);
            figure.SavePng(file, width, height);
        });
    }

    private static void DrawDiagonal(Plot plot, Grid grid, int i, PairPlotOptions o)
    {
        var (lo, hi) = grid.Limits[i];
        double width = (hi - lo) / o.Bins, top = 0;
        for (int s = 0; s < grid.Columns.Count; s++)
        {
            var counts = Samples.Histogram(grid.Columns[s][grid.Dims[i]], o.Bins, lo, hi);
            var color = Palette.C(s).WithAlpha(grid.Columns.Count > 1 ? 0.6 : 0.9);
            var bars = counts.Select((v, b) => new Bar
            {
                Position = lo + (b + 0.5) * width, Value = v, Size = width, FillColor = color, LineWidth = 0,
            }).ToList();
            plot.Add.Bars(bars);
            top = Math.Max(top, counts.Max());
        }
        if (grid.Points is not null)
            foreach (var p in grid.Points) plot.Add.VerticalLine(p[grid.Dims[i]], 2, Palette.Points);
        plot.Axes.SetLimits(lo, hi, 0, top * 1.05 + 1e-12);
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.XLabel(grid.Labels[i]);
    }

    private static void DrawOffDiagonal(Plot plot, Grid grid, int r, int c, string kind, PairPlotOptions o)
    {
        // Column c on x, row r on y, as sbi's grid.
        var xLim = grid.Limits[c];
        var yLim = grid.Limits[r];
        switch (kind)
        {
            case PlotKinds.Hist:
            {
                var xs = grid.Columns[0][grid.Dims[c]];
                var ys = grid.Columns[0][grid.Dims[r]];
                var counts = new double[o.Bins, o.Bins];
                double wx = (xLim.Hi - xLim.Lo) / o.Bins, wy = (yLim.Hi - yLim.Lo) / o.Bins;
                for (int n = 0; n < xs.Length; n++)
                {
                    if (xs[n] < xLim.Lo || xs[n] > xLim.Hi || ys[n] < yLim.Lo || ys[n] > yLim.Hi) continue;
                    int bx = Math.Clamp((int)((xs[n] - xLim.Lo) / wx), 0, o.Bins - 1);
                    int by = Math.Clamp((int)((ys[n] - yLim.Lo) / wy), 0, o.Bins - 1);
                    counts[o.Bins - 1 - by, bx]++;   // heatmap rows run top to bottom
                }
                var heatmap = plot.Add.Heatmap(counts);
                heatmap.Extent = new CoordinateRect(xLim.Lo, xLim.Hi, yLim.Lo, yLim.Hi);
                heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
                break;
            }
            case PlotKinds.Contour:
                for (int s = 0; s < grid.Columns.Count; s++)
                {
                    var xs = grid.Columns[s][grid.Dims[c]];
                    var ys = grid.Columns[s][grid.Dims[r]];
                    var z = Kde2D.Density(xs, ys, xLim, yLim, o.Bins);
                    var coords = new Coordinates3d[o.Bins, o.Bins];
                    for (int i = 0; i < o.Bins; i++)
                        for (int j = 0; j < o.Bins; j++)
                            coords[i, j] = new Coordinates3d(xLim.Lo + (xLim.Hi - xLim.Lo) * j / (o.Bins - 1),
                                                             yLim.Lo + (yLim.Hi - yLim.Lo) * i / (o.Bins - 1), z[i, j]);
                    var lines = new ScottPlot.Plottables.ContourLines { ContourLineLevels = Kde2D.LevelThresholds(z, o.ContourLevels) };
                    lines.Update(coords);
                    lines.LineColor = Palette.C(s);
                    lines.Colormap = null;
                    lines.LineWidth = 1.5f;
                    lines.LabelStyle.IsVisible = false;
                    plot.Add.Plottable(lines);
                }
                break;
            case PlotKinds.Scatter:
                for (int s = 0; s < grid.Columns.Count; s++)
                {
                    var points = plot.Add.ScatterPoints(grid.Columns[s][grid.Dims[c]], grid.Columns[s][grid.Dims[r]], Palette.C(s).WithAlpha(0.5));
                    points.MarkerSize = 2;
                }
                break;
        }
        if (grid.Points is not null)
            foreach (var p in grid.Points)
            {
                var m = plot.Add.Marker(p[grid.Dims[c]], p[grid.Dims[r]], MarkerShape.FilledCircle, 8, Palette.Points);
                m.MarkerLineColor = Colors.White;
            }
        plot.Axes.SetLimits(xLim.Lo, xLim.Hi, yLim.Lo, yLim.Hi);
    }

    private static void Blank(Plot plot)
    {
        plot.Axes.Frameless();
        plot.HideGrid();
    }

    private static void CheckSize(int width, int height)
    {
        if (width < 50 || width > 20_000) throw new ArgumentOutOfRangeException("Width", width, $"Width must lie in 50..20000 pixels; got {width}.");
        if (height < 50 || height > 20_000) throw new ArgumentOutOfRangeException("Height", height, $"Height must lie in 50..20000 pixels; got {height}.");
    }

    /// <summary>The checked inputs of a pair or marginal plot.</summary>
    private sealed record Grid(IReadOnlyList<double[][]> Columns, int[] Dims, (double Lo, double Hi)[] Limits, string[] Labels, IReadOnlyList<double[]>? Points)
    {
        public static Grid Prepare(IReadOnlyList<double[,]> sampleSets, PairPlotOptions o, string argumentName)
        {
            ArgumentNullException.ThrowIfNull(sampleSets, argumentName);
            if (sampleSets.Count == 0) throw new ArgumentException($"{argumentName} must hold at least one sample set.", argumentName);
            if (o.Bins < 2 || o.Bins > 1000) throw new ArgumentOutOfRangeException("Bins", o.Bins, $"Bins must lie in 2..1000; got {o.Bins}.");
            var columns = sampleSets.Select((s, i) => Samples.Columns(s, $"{argumentName}[{i}]")).ToList();
            int d = columns[0].Length;
            for (int i = 1; i < columns.Count; i++)
                if (columns[i].Length != d)
                    throw new ArgumentException($"{argumentName}[{i}] must have D = {d} columns like {argumentName}[0]; got {columns[i].Length}.", argumentName);
            if (o.Points is { } pts)
                for (int i = 0; i < pts.Count; i++)
                    if (pts[i] is null || pts[i].Length != d)
                        throw new ArgumentException($"Points[{i}] must have D = {d} values; got {pts[i]?.Length.ToString() ?? "null"}.", "Points");
            var dims = (o.Subset ?? Enumerable.Range(0, d).ToList()).ToArray();
            if (dims.Length == 0 || dims.Any(j => j < 0 || j >= d) || dims.Distinct().Count() != dims.Length)
                throw new ArgumentException($"Subset must list distinct dimensions in 0..{d - 1}; got [{string.Join(", ", dims)}].", "Subset");
            if (dims.Length > 20) throw new ArgumentException($"Subset: at most 20 dimensions fit a pair plot; got {dims.Length} (pass Subset).", "Subset");
            (double Lo, double Hi)[] all;
            if (o.Limits is { } lim)
            {
                if (lim.Count != 1 && lim.Count != d)
                    throw new ArgumentException($"Limits must hold one (lo, hi) pair or one per dimension ({d}); got {lim.Count}.", "Limits");
                all = Enumerable.Range(0, d).Select(j => lim.Count == 1 ? lim[0] : lim[j]).ToArray();
                for (int j = 0; j < d; j++)
                    if (!(all[j].Lo < all[j].Hi) || !double.IsFinite(all[j].Lo) || !double.IsFinite(all[j].Hi))
                        throw new ArgumentException($"Limits[{j}] must be finite with lo < hi; got ({all[j].Lo}, {all[j].Hi}).", "Limits");
            }
            else
            {
                var merged = Enumerable.Range(0, d).Select(j => columns.SelectMany(c => c[j]).ToArray()).ToArray();
                all = Samples.InferLimits(merged, o.Points);
            }
            if (o.Labels is { } labels && labels.Count != d)
                throw new ArgumentException($"Labels must hold one name per dimension ({d}); got {labels.Count}.", "Labels");
            var names = dims.Select(j => o.Labels?[j] ?? $"dim {j + 1}").ToArray();
            return new Grid(columns, dims, dims.Select(j => all[j]).ToArray(), names, o.Points);
        }
    }
}
