using NUnit.Framework;
using static TorchSharp.torch;

namespace Sbi.Plots.Tests;

/// <summary>Bad input to the plots: each a clear error naming the argument, before anything is drawn.</summary>
public class PlotInputTests
{
    private static double[,] Samples2D() => new double[,] { { 0, 1 }, { 1, 0 }, { 0.5, 0.5 }, { 0.2, 0.9 } };

    [TestCase("diag", "kde")]
    [TestCase("upper", "violin")]
    [TestCase("lower", "histogram")]
    public void UnknownPlotKindsAreNamed(string argument, string kind)
    {
        var o = argument switch
        {
            "diag" => new PairPlotOptions { Diag = kind },
            "upper" => new PairPlotOptions { Upper = kind },
            _ => new PairPlotOptions { Lower = kind },
        };
        var e = Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), PngCheck.PathOf("never.png"), o))!;
        Assert.That(e.ParamName, Is.EqualTo(argument));
        Assert.That(e.Message, Does.Contain($"got '{kind}'").And.Contain("'hist'"));
        Assert.That(File.Exists(PngCheck.PathOf("never.png")), Is.False);
    }

    [Test]
    public void AnUnknownRankPlotTypeIsNamed()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => SbiPlots.SbcRankPlot(zeros(100, 2), 10, PngCheck.PathOf("never.png"), plotType: "ecdf"))!;
        Assert.That(e.ParamName, Is.EqualTo("plotType"));
    }

    [Test]
    public void UnwritableOutputPathsAreNamed()
    {
        var missing = Path.Combine(PngCheck.Folder, "no-such-folder", "p.png");
        var e = Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), missing))!;
        Assert.That(e.ParamName, Is.EqualTo("path"));
        Assert.That(e.Message, Does.Contain("does not exist"));
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), PngCheck.PathOf("p.jpg")))!.ParamName, Is.EqualTo("path"));
        var folder = Directory.CreateDirectory(PngCheck.PathOf("a-folder.png")).FullName;
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), folder))!.Message, Does.Contain("is a folder"));
        if (OperatingSystem.IsLinux())
        {
            // /proc takes no new files, whoever asks (root included).
            e = Assert.Throws<ArgumentException>(() => SbiPlots.MarginalPlot(Samples2D(), "/proc/sbi-plot.png"))!;
            Assert.That(e.ParamName, Is.EqualTo("path"));
            Assert.That(e.Message, Does.Contain("cannot write"));
        }
    }

    [Test]
    public void TooFewRanksForTheBinsNameNumBins()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SbiPlots.SbcRankPlot(zeros(10, 2), 100, PngCheck.PathOf("never.png")))!;
        Assert.That(e.ParamName, Is.EqualTo("numBins"));
        Assert.That(e.Message, Does.Contain("at least 20 SBC runs"));
        e = Assert.Throws<ArgumentOutOfRangeException>(() => SbiPlots.SbcRankPlot(zeros(100, 2), 100, PngCheck.PathOf("never.png"), numBins: 150))!;
        Assert.That(e.ParamName, Is.EqualTo("numBins"));
        Assert.That(e.Message, Does.Contain("too few samples for the requested bins"));
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.SbcRankPlot(full(100, 2, 11f), 10, PngCheck.PathOf("never.png")))!.ParamName, Is.EqualTo("ranks"));
    }

    [Test]
    public void MismatchedLabelsPointsAndCurvesAreNamed()
    {
        using var scope = NewDisposeScope();
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), PngCheck.PathOf("never.png"), new PairPlotOptions { Labels = ["a"] }))!.ParamName,
                    Is.EqualTo("Labels"));
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), PngCheck.PathOf("never.png"), new PairPlotOptions { Points = [[1.0, 2.0, 3.0]] }))!.ParamName,
                    Is.EqualTo("Points"));
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PairPlot(Samples2D(), PngCheck.PathOf("never.png"), new PairPlotOptions { Subset = [2] }))!.ParamName,
                    Is.EqualTo("Subset"));
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PlotTarp(zeros(5), zeros(6), PngCheck.PathOf("never.png")))!.ParamName, Is.EqualTo("ecp"));
        Assert.That(Assert.Throws<ArgumentException>(() => SbiPlots.PlotSummary(new Dictionary<string, IReadOnlyList<(double, double)>>(), PngCheck.PathOf("never.png")))!.ParamName,
                    Is.EqualTo("series"));
    }
}
