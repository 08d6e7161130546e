using NUnit.Framework;
using Sbi.Inference;
using SkiaSharp;
using static TorchSharp.torch;

namespace Sbi.Plots.Tests;

/// <summary>
/// Every plot is written, decoded and measured: the PNG has the requested size and holds a drawing, with the marks
/// where the data puts them (the colours of the sample sets in the cells that show them, nothing in cells left empty).
/// Set SBI_PLOTS_OUT to a folder to keep the files.
/// </summary>
public class PlotTests
{
    /// <summary>2,000 draws of a correlated 3-D Gaussian (mean (0, 1, −1), unit variances, correlation 0.8 between the first two).</summary>
    private static Tensor Gaussian(int n, int seed, double shift = 0)
    {
        manual_seed(seed);
        var z = randn(n, 3, dtype: ScalarType.Float64);
        var l = tensor(new double[,] { { 1, 0, 0 }, { 0.8, 0.6, 0 }, { 0, 0, 1 } });
        return z.matmul(l.t()).add(tensor(new[] { shift, 1 + shift, -1 + shift }));
    }

    [Test]
    public void PairPlotWithHistogramsContoursAndPoints()
    {
        using var scope = NewDisposeScope();
        var path = SbiPlots.PairPlot(Gaussian(2000, 0), PngCheck.PathOf("pairplot_hist_contour.png"), new PairPlotOptions
        {
            Lower = PlotKinds.Contour, Points = [[0.0, 1.0, -1.0]], Labels = ["θ₁", "θ₂", "θ₃"], Title = "posterior",
        });
        using var bmp = PngCheck.Decoded(path, 750, 750);
        // Top-left cell: the first dimension's histogram in C0.
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(20, 20, 230, 230), PngCheck.Blue), Is.GreaterThan(0.1), "diagonal histogram");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(20, 20, 230, 230), PngCheck.Red), Is.GreaterThan(0.002), "the reference point's line");
    }

    [Test]
    public void PairPlotOfTwoSampleSetsWithScatterAboveAndNothingBelow()
    {
        using var scope = NewDisposeScope();
        var a = Samples.FromTensor(Gaussian(1500, 1), "a");
        var b = Samples.FromTensor(Gaussian(1500, 2, shift: 1.5), "b");
        var path = SbiPlots.PairPlot([a, b], PngCheck.PathOf("pairplot_two_sets_scatter.png"), new PairPlotOptions
        {
            Upper = PlotKinds.Scatter, Width = 900, Height = 900,
        });
        using var bmp = PngCheck.Decoded(path, 900, 900);
        // Row 0, column 2 (upper right) shows both sets; row 2, column 0 (lower left) is empty.
        var upperRight = new SKRectI(620, 20, 880, 280);
        Assert.That(PngCheck.Fraction(bmp, upperRight, PngCheck.Blue), Is.GreaterThan(0.01), "first set in the upper triangle");
        Assert.That(PngCheck.Fraction(bmp, upperRight, PngCheck.Orange), Is.GreaterThan(0.01), "second set in the upper triangle");
        var lowerLeft = new SKRectI(20, 620, 280, 880);
        Assert.That(PngCheck.Fraction(bmp, lowerLeft, PngCheck.White), Is.EqualTo(1.0), "lower triangle empty");
    }

    [Test]
    public void PairPlotOfASubsetWithLimits()
    {
        using var scope = NewDisposeScope();
        var path = SbiPlots.PairPlot(Gaussian(2000, 3), PngCheck.PathOf("pairplot_subset_limits.png"), new PairPlotOptions
        {
            Subset = [0, 2], Limits = [(-4, 4)], Upper = PlotKinds.Contour, Lower = PlotKinds.Hist, Bins = 40,
        });
        PngCheck.Decoded(path, 500, 500).Dispose();
    }

    [Test]
    public void MarginalPlot()
    {
        using var scope = NewDisposeScope();
        var path = SbiPlots.MarginalPlot(Gaussian(2000, 4), PngCheck.PathOf("marginal.png"), new PairPlotOptions { Points = [[0.0, 1.0, -1.0]] });
        using var bmp = PngCheck.Decoded(path, 750, 250);
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(0, 0, 750, 250), PngCheck.Blue), Is.GreaterThan(0.1), "histograms");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(0, 0, 750, 250), PngCheck.Red), Is.GreaterThan(0.002), "the reference point's lines");
    }

    private static Tensor Ranks(int n, int k, int l, int seed)
    {
        manual_seed(seed);
        return randint(0, l + 1, [n, k]).to(ScalarType.Float32);
    }

    [Test]
    public void SbcRankPlotAsCdfs()
    {
        using var scope = NewDisposeScope();
        var path = SbiPlots.SbcRankPlot(Ranks(1000, 3, 200, 5), 200, PngCheck.PathOf("sbc_ranks_cdf.png"), parameterLabels: ["θ₁", "θ₂", "θ₃"]);
        using var bmp = PngCheck.Decoded(path, 800, 500);
        // Uniform ranks: the CDFs run along the diagonal, through the middle of the plot and not through its corners.
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(380, 200, 460, 280), c => PngCheck.Blue(c) || PngCheck.Orange(c)), Is.GreaterThan(0.01), "CDFs cross the centre");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(80, 30, 250, 150), c => PngCheck.Blue(c) || PngCheck.Orange(c)), Is.EqualTo(0), "not the upper-left corner");
    }

    [Test]
    public void SbcRankPlotAsHistograms()
    {
        using var scope = NewDisposeScope();
        var path = SbiPlots.SbcRankPlot(Ranks(1000, 5, 200, 6), 200, PngCheck.PathOf("sbc_ranks_hist.png"), numBins: 20, plotType: PlotKinds.Hist);
        using var bmp = PngCheck.Decoded(path, 1600, 1000);
        // Five panels on a 4-wide grid: the second row has one panel, the rest is empty (white).
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(820, 520, 1580, 980), PngCheck.White), Is.EqualTo(1.0), "unused panels blank");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(20, 20, 380, 480), PngCheck.Red), Is.GreaterThan(0.3), "firebrick bars");
    }

    [Test]
    public void TarpCurve()
    {
        using var scope = NewDisposeScope();
        var alpha = linspace(0, 1, 31, ScalarType.Float64);
        var ecp = alpha.pow(tensor(1.5, ScalarType.Float64));   // an over-confident curve below the diagonal
        var path = SbiPlots.PlotTarp(ecp, alpha, PngCheck.PathOf("tarp.png"), title: "TARP");
        using var bmp = PngCheck.Decoded(path, 600, 600);
        // The curve runs below the diagonal: blue ink in the lower-right half of the plot area, none in the upper-left.
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(330, 330, 560, 520), PngCheck.Blue), Is.GreaterThan(0.002), "ECP curve below the diagonal");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(80, 60, 250, 250), PngCheck.Blue), Is.EqualTo(0), "nothing above it");
    }

    [Test]
    public void TrainingSummaryCurves()
    {
        var summary = new TrainingSummary();
        for (int e = 0; e < 40; e++)
        {
            summary.TrainingLoss.Add(2 * Math.Exp(-e / 8.0) - 1.9);
            summary.ValidationLoss.Add(2 * Math.Exp(-e / 8.0) - 1.8 + 0.002 * e);
        }
        var path = SbiPlots.PlotSummary(summary, PngCheck.PathOf("summary.png"), title: "NPE-B");
        using var bmp = PngCheck.Decoded(path, 800, 500);
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(0, 0, 800, 500), PngCheck.Blue), Is.GreaterThan(0.002), "training loss line (C0)");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(0, 0, 800, 500), PngCheck.Orange), Is.GreaterThan(0.002), "validation loss line (C1)");
        var series = SbiPlots.SummarySeries(summary);
        Assert.That(series["validation_loss"][0], Is.EqualTo((1.0, summary.ValidationLoss[0])), "epochs count from 1");
        // Plain (epoch, value) series, as TensorBoard scalars come back.
        var plain = SbiPlots.PlotSummary(new Dictionary<string, IReadOnlyList<(double, double)>> { ["validation_loss"] = [(1, 0.5), (2, 0.2), (3, 0.1)] },
                                         PngCheck.PathOf("summary_series.png"), width: 640, height: 400);
        PngCheck.Decoded(plain, 640, 400).Dispose();
    }
}
