using NUnit.Framework;
using Sbi.Diagnostics;
using SkiaSharp;
using static TorchSharp.torch;

namespace Sbi.Plots.Tests;

/// <summary>
/// The rank and coverage plots of real SBC and TARP runs on a posterior of known miscalibration: truth θ ~ N(μ, 1)
/// around a per-observation centre μ, posterior draws from N(μ, 0.5²), over-confident. Its ranks pile up at 0 and L
/// (a U-shaped histogram) and its expected coverage runs above the diagonal at small α and below it above α ≈ ½
/// (ATC &lt; 0).
/// </summary>
public class DiagnosticPlotTests
{
    private const int N = 1000, L = 200;

    private static (Tensor Thetas, Tensor Samples) OverConfident()
    {
        manual_seed(11);
        var centre = randn(N, 2).mul(tensor(3f));
        var thetas = centre.add(randn(N, 2));
        var samples = centre.unsqueeze(0).add(randn(L, N, 2).mul(tensor(0.5f)));
        return (thetas, samples);
    }

    [Test]
    public void RanksOfAnOverConfidentPosteriorAreUShaped()
    {
        using var scope = NewDisposeScope();
        var (thetas, samples) = OverConfident();
        var ranks = Sbc.RanksFromSamples(thetas, zeros(N, 1), samples);
        var path = SbiPlots.SbcRankPlot(ranks, L, PngCheck.PathOf("sbc_overconfident_hist.png"), numBins: 20, plotType: PlotKinds.Hist,
                                        parameterLabels: ["θ₁", "θ₂"]);
        using var bmp = PngCheck.Decoded(path, 800, 500);
        // In the first panel the first bin's bar (x ≈ 85–95 px) reaches into the top third, the middle bins' bars
        // (x ≈ 190–250 px) do not.
        double edges = PngCheck.Fraction(bmp, new SKRectI(85, 40, 95, 200), PngCheck.Red);
        double middle = PngCheck.Fraction(bmp, new SKRectI(190, 40, 250, 200), PngCheck.Red);
        TestContext.Out.WriteLine($"red in the top third: edges {edges:P1}, middle {middle:P1}");
        Assert.That(edges, Is.GreaterThan(middle + 0.5), "U-shape");
        SbiPlots.SbcRankPlot(ranks, L, PngCheck.PathOf("sbc_overconfident_cdf.png"), parameterLabels: ["θ₁", "θ₂"]);
    }

    [Test]
    public void CoverageOfAnOverConfidentPosteriorRunsBelowTheDiagonalAtLargeAlpha()
    {
        using var scope = NewDisposeScope();
        var (thetas, samples) = OverConfident();
        manual_seed(12);
        using var r = Tarp.TarpFromSamples(samples, thetas, Tarp.GetTarpReferences(thetas), numBins: 50, zScoreTheta: true);
        var (atc, _) = Tarp.CheckTarp(r.Ecp, r.Alpha);
        Assert.That(atc, Is.LessThan(0), "ATC of an over-confident posterior");
        var path = SbiPlots.PlotTarp(r.Ecp, r.Alpha, PngCheck.PathOf("tarp_overconfident.png"), title: $"over-confident, ATC {atc:F3}");
        using var bmp = PngCheck.Decoded(path, 600, 600);
        // Pixels: the plot area spans x ≈ 60–585 (α 0 to 1) and y ≈ 45–550 (ECP 1 to 0). For α in 0.6–0.9 the curve
        // lies under the diagonal (ECP 0.5–0.7: y ≈ 200–300); the region above the diagonal there stays clear.
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(375, 200, 530, 300), PngCheck.Blue), Is.GreaterThan(0.002), "ECP below the diagonal at large α");
        Assert.That(PngCheck.Fraction(bmp, new SKRectI(375, 60, 530, 140), PngCheck.Blue), Is.EqualTo(0), "nothing above it there");
    }
}
