using ScottPlot;
using Sbi.Inference;
using static TorchSharp.torch;

namespace Sbi.Plots;

public static partial class SbiPlots
{
    /// <summary>
    /// sbi's <c>sbc_rank_plot</c>: SBC ranks (N, K) as empirical CDFs in one panel (<paramref name="plotType"/> "cdf",
    /// sbi's default) or as one histogram per column ("hist"), each over the grey region a calibrated posterior's
    /// ranks fall in 99 % of the time (Binomial quantiles, as sbi). Bins span 0..L (sbi bins between the smallest and
    /// largest rank; the fixed range keeps a missing extreme rank from shifting every step).
    /// </summary>
    /// <param name="ranks">Ranks (N, K) from <c>Sbc.RunSbc</c>, each in 0..L.</param>
    /// <param name="numPosteriorSamples">L.</param>
    /// <param name="path">The .png to write.</param>
    /// <param name="numBins">Bins; null: N / 20 (Talts et al.'s recommendation, sbi's default). At most N and L + 1.</param>
    /// <param name="plotType">"cdf" or "hist".</param>
    /// <param name="parameterLabels">One name per column; null: "dim 1", ….</param>
    /// <param name="width">Image width in pixels; null: 800 for "cdf", 400 per column (4 a row) for "hist".</param>
    /// <param name="height">Image height; null: 500 (per row of panels for "hist").</param>
    public static string SbcRankPlot(Tensor ranks, int numPosteriorSamples, string path, int? numBins = null, string plotType = PlotKinds.Cdf,
                                     IReadOnlyList<string>? parameterLabels = null, int? width = null, int? height = null)
    {
        PlotKinds.Check(plotType, PlotKinds.Ranks, nameof(plotType), nullable: false);
        var r = Samples.FromTensor(ranks, nameof(ranks));
        int n = r.GetLength(0), k = r.GetLength(1);
        if (numPosteriorSamples < 1) throw new ArgumentOutOfRangeException(nameof(numPosteriorSamples), numPosteriorSamples, $"numPosteriorSamples must be positive; got {numPosteriorSamples}.");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                if (!(r[i, j] >= 0 && r[i, j] <= numPosteriorSamples))
                    throw new ArgumentException($"ranks must lie in 0..numPosteriorSamples = {numPosteriorSamples}; ranks[{i}, {j}] = {r[i, j]}.", nameof(ranks));
        int bins = numBins ?? n / 20;
        if (numBins is null && bins < 1)
            throw new ArgumentOutOfRangeException(nameof(numBins), null, $"the default numBins = N / 20 needs at least 20 SBC runs; got N = {n}. Pass more ranks or numBins.");
        if (bins < 1 || bins > n || bins > numPosteriorSamples + 1)
            throw new ArgumentOutOfRangeException(nameof(numBins), bins,
                $"numBins must lie in 1..{Math.Min(n, numPosteriorSamples + 1)} (at most N = {n} ranks and L + 1 = {numPosteriorSamples + 1} rank values); got {bins}: too few samples for the requested bins.");
        if (parameterLabels is not null && parameterLabels.Count != k)
            throw new ArgumentException($"parameterLabels must hold one name per rank column ({k}); got {parameterLabels.Count}.", nameof(parameterLabels));
        var labels = Enumerable.Range(0, k).Select(j => parameterLabels?[j] ?? $"dim {j + 1}").ToArray();
        var columns = Enumerable.Range(0, k).Select(j => Enumerable.Range(0, n).Select(i => r[i, j]).ToArray()).ToArray();
        // Rank value L belongs to the last bin: the histogram range is [0, L] closed.
        double lo = 0, hi = numPosteriorSamples;
        if (plotType == PlotKinds.Cdf)
        {
            int w = width ?? 800, h = height ?? 500;
            CheckSize(w, h);
            return PlotFile.Save(path, nameof(path), file =>
            {
                var plot = new Plot();
                var (lower, upper) = UniformBand.CdfBand(n, bins);
                var xs = Stairs(bins, out var index);
                var band = plot.Add.FillY(xs, index.Select(b => lower[b]).ToArray(), index.Select(b => upper[b]).ToArray());
                band.FillColor = Palette.Band;
                band.LineWidth = 0;
                band.LegendText = "expected under uniformity";
                for (int j = 0; j < k; j++)
                {
                    var counts = Samples.Histogram(columns[j], bins, lo, hi);
                    var cumulative = new double[bins];
                    double sum = 0;
                    for (int b = 0; b < bins; b++) cumulative[b] = sum += counts[b];
                    var line = plot.Add.ScatterLine(xs, index.Select(b => cumulative[b] / sum).ToArray(), Palette.C(j).WithAlpha(0.8));
                    line.LineWidth = 2;
                    line.LegendText = labels[j];
                }
                plot.Axes.SetLimits(0, bins, 0, 1);
                plot.XLabel("posterior rank (bin)");
                plot.YLabel("empirical CDF");
                plot.ShowLegend(Alignment.LowerRight);
                plot.SavePng(file, w, h);
            });
        }
        int cols = Math.Min(k, 4), rows = (k + 3) / 4;
        int wh = width ?? 400 * cols, hh = height ?? 500 * rows;
        CheckSize(wh, hh);
        return PlotFile.Save(path, nameof(path), file =>
        {
            var figure = new Multiplot();
            figure.AddPlots(rows * cols);
            figure.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, cols);
            var (lower, upper) = UniformBand.HistogramBand(n, bins);
            double binWidth = (hi - lo) / bins, offset = 0.1 * numPosteriorSamples;
            for (int p = 0; p < rows * cols; p++)
            {
                var plot = figure.GetPlot(p);
                if (p >= k) { Blank(plot); continue; }
                var band = plot.Add.FillY([lo, hi], [lower, lower], [upper, upper]);
                band.FillColor = Palette.Band;
                band.LineWidth = 0;
                var counts = Samples.Histogram(columns[p], bins, lo, hi);
                plot.Add.Bars(counts.Select((v, b) => new Bar
                {
                    Position = lo + (b + 0.5) * binWidth, Value = v, Size = binWidth, FillColor = Palette.Firebrick.WithAlpha(0.8), LineWidth = 0,
                }).ToList());
                plot.Axes.SetLimits(-offset, numPosteriorSamples + offset, 0, Math.Max(counts.Max(), upper) * 1.1);
                plot.XLabel($"posterior rank {labels[p]}");
                if (p == 0) plot.YLabel("counts");
            }
            figure.SavePng(file, wh, hh);
        });
    }

    /// <summary>x of each bin's step, <c>repeats</c> points a bin as sbi's stairs (np.linspace(0, bins, 50·bins)), and the bin of each.</summary>
    private static double[] Stairs(int bins, out int[] binOf)
    {
        const int repeats = 50;
        int m = repeats * bins;
        var xs = new double[m];
        binOf = new int[m];
        for (int i = 0; i < m; i++)
        {
            xs[i] = m == 1 ? 0 : (double)bins * i / (m - 1);
            binOf[i] = i / repeats;
        }
        return xs;
    }

    /// <summary>
    /// sbi's <c>plot_tarp</c>: the expected coverage probability against the credibility level α (blue), the diagonal
    /// a calibrated posterior follows (dashed), both axes [0, 1].
    /// </summary>
    /// <param name="ecp">ECP from <c>Tarp.RunTarp</c>.</param>
    /// <param name="alpha">α from <c>Tarp.RunTarp</c>, of ECP's length.</param>
    /// <param name="path">The .png to write.</param>
    /// <param name="title">Plot title; null: none.</param>
    /// <param name="size">Image width and height in pixels (sbi: 6 × 6 inches).</param>
    public static string PlotTarp(Tensor ecp, Tensor alpha, string path, string? title = null, int size = 600)
    {
        var e = Vector(ecp, nameof(ecp));
        var a = Vector(alpha, nameof(alpha));
        if (e.Length != a.Length) throw new ArgumentException($"ecp must have as many values as alpha ({a.Length}); got {e.Length}.", nameof(ecp));
        if (a.Length < 2) throw new ArgumentException($"alpha must hold at least 2 values; got {a.Length}.", nameof(alpha));
        CheckSize(size, size);
        return PlotFile.Save(path, nameof(path), file =>
        {
            var plot = new Plot();
            var tarp = plot.Add.ScatterLine(a, e, Color.FromHex("#0000ff"));
            tarp.LineWidth = 2;
            tarp.LegendText = "TARP";
            var ideal = plot.Add.Line(0, 0, 1, 1);
            ideal.LineColor = Colors.Black;
            ideal.LinePattern = LinePattern.Dashed;
            ideal.LegendText = "ideal";
            plot.Axes.SetLimits(0, 1, 0, 1);
            plot.XLabel("Credibility Level α");
            plot.YLabel("Expected Coverage Probability");
            if (title is not null) plot.Title(title);
            plot.ShowLegend(Alignment.LowerRight);
            plot.SavePng(file, size, size);
        });
    }

    /// <summary>
    /// Training curves: each named series of (epoch, value) as a line, e.g. "training_loss" and "validation_loss" per
    /// epoch (sbi's <c>plot_summary</c> reads the same tags from TensorBoard). Any source can feed it: the in-memory
    /// <see cref="TrainingSummary"/> (see <see cref="PlotSummary(TrainingSummary, string, string?, int, int)"/>) or
    /// scalars read back from TensorBoard event files.
    /// </summary>
    /// <param name="series">Tag → points (epoch, value); at least one non-empty series, finite values.</param>
    /// <param name="path">The .png to write.</param>
    /// <param name="title">Plot title; null: none.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    public static string PlotSummary(IReadOnlyDictionary<string, IReadOnlyList<(double Epoch, double Value)>> series, string path, string? title = null,
                                     int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || series.All(s => s.Value is null || s.Value.Count == 0))
            throw new ArgumentException("series must hold at least one tag with points; got none.", nameof(series));
        foreach (var (tag, points) in series)
            if (points is not null && points.Any(p => !double.IsFinite(p.Epoch) || !double.IsFinite(p.Value)))
                throw new ArgumentException($"series['{tag}'] must hold finite (epoch, value) points.", nameof(series));
        CheckSize(width, height);
        return PlotFile.Save(path, nameof(path), file =>
        {
            var plot = new Plot();
            int i = 0;
            foreach (var (tag, points) in series)
            {
                if (points is null || points.Count == 0) { i++; continue; }
                var ordered = points.OrderBy(p => p.Epoch).ToArray();
                var line = plot.Add.ScatterLine(ordered.Select(p => p.Epoch).ToArray(), ordered.Select(p => p.Value).ToArray(), Palette.C(i++));
                line.LineWidth = 2;
                line.MarkerSize = ordered.Length <= 50 ? 5 : 0;
                line.LegendText = tag;
            }
            plot.XLabel("epoch");
            plot.YLabel("loss");
            if (title is not null) plot.Title(title);
            plot.ShowLegend(Alignment.UpperRight);
            plot.SavePng(file, width, height);
        });
    }

    /// <summary>
    /// <see cref="PlotSummary(IReadOnlyDictionary{string, IReadOnlyList{ValueTuple{double, double}}}, string, string?, int, int)"/>
    /// of an in-memory training summary: "training_loss" and "validation_loss" per epoch (epochs 1, 2, … across rounds).
    /// </summary>
    public static string PlotSummary(TrainingSummary summary, string path, string? title = null, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return PlotSummary(SummarySeries(summary), path, title, width, height);
    }

    /// <summary>The per-epoch losses of a training summary as (epoch, value) series keyed by sbi's TensorBoard tags.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(double Epoch, double Value)>> SummarySeries(TrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        static IReadOnlyList<(double, double)> Series(List<double> values) => values.Select((v, i) => (i + 1.0, v)).ToList();
        return new Dictionary<string, IReadOnlyList<(double Epoch, double Value)>>
        {
            ["training_loss"] = Series(summary.TrainingLoss),
            ["validation_loss"] = Series(summary.ValidationLoss),
        };
    }

    private static double[] Vector(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.dim() != 1) throw new ArgumentException($"{name} must be 1-D; got shape ({string.Join(", ", t.shape)}).", name);
        using var scope = NewDisposeScope();
        var v = t.detach().to(ScalarType.Float64, CPU).data<double>().ToArray();
        if (v.Any(x => !double.IsFinite(x))) throw new ArgumentException($"{name} must be finite.", name);
        return v;
    }
}
