using NUnit.Framework;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Tests.Estimators;

public class MafTests
{
    /// <summary>A MAF with perturbed (non-Gaussian) weights, z-scoring statistics from a skewed batch.</summary>
    internal static FlowEstimator RandomMaf(int d, int c, int seed, double weightScale = 2.0)
    {
        manual_seed(seed);
        var theta = randn(500, d) * 1.5 + 0.3;
        var x = randn(500, c);
        var est = (FlowEstimator)PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 16, NumTransforms = 3 })(theta, x);
        using (no_grad())
            foreach (var p in est.parameters()) p.mul_(weightScale);
        est.eval();
        return est;
    }

    [Test]
    public void InverseOfForwardIsIdentity()
    {
        using var scope = NewDisposeScope();
        var est = RandomMaf(4, 3, 1);
        using var _ = no_grad();
        var theta = randn(100, 4);
        var x = randn(100, 3);
        var ctx = est.Net.Embed(x);
        var (z, ld) = est.Net.Transform.Forward(theta, ctx);
        var (back, ldInv) = est.Net.Transform.Inverse(z, ctx);
        // float32 round trip through 3 affine layers: errors of a few ulps times the scales involved.
        Assert.That((back - theta).abs().max().item<float>(), Is.LessThan(1e-4));
        Assert.That((ld! + ldInv!).abs().max().item<float>(), Is.LessThan(1e-4));
    }

    /// <summary>
    /// ∫ q(θ | x) dθ = 1 by trapezoid quadrature over a box that extends one unit beyond the range of 20,000 samples
    /// (so the mass outside is far below 1e-4) with 2,001 (1-D) or 401 (2-D) points per axis: the discretisation
    /// error of a smooth density is then below 1e-3, hence the tolerance.
    /// </summary>
    [TestCase(1, 2001)]
    [TestCase(2, 401)]
    public void LogProbIntegratesToOne(int d, int points)
    {
        using var scope = NewDisposeScope();
        var est = RandomMaf(d, 2, 3, weightScale: 1.5);
        using var _ = no_grad();
        var x = tensor(new float[] { 0.4f, -1.1f }).unsqueeze(0);
        var samples = est.Sample(20_000, x)[.., 0];
        double lo = samples.min().item<float>() - 1, hi = samples.max().item<float>() + 1, step = (hi - lo) / (points - 1);
        var axis = linspace(lo, hi, points, dtype: ScalarType.Float32);
        Tensor grid = d == 1 ? axis.unsqueeze(1) : stack(meshgrid(new[] { axis, axis }, indexing: "ij").Select(t => t.reshape(-1)).ToArray(), 1);
        var density = est.LogProb(grid, x)[0].exp().to(ScalarType.Float64);
        double mass = d == 1
            ? trapezoid(density, dx: step).item<double>()
            : trapezoid(trapezoid(density.view(points, points), dx: step), dx: step).item<double>();
        Assert.That(mass, Is.EqualTo(1.0).Within(1e-3));
    }

    /// <summary>The degree-pruned sampling inverse equals nflows' D full passes (run with gradients enabled) to float rounding.</summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(5)]
    public void PrunedInverseEqualsNflowsPasses(int d)
    {
        using var scope = NewDisposeScope();
        var est = RandomMaf(d, 3, 7, weightScale: 1.5);
        var z = randn(64, d);
        var ctx = est.Net.Embed(randn(64, 3));
        var (full, ldFull) = est.Net.Transform.Inverse(z, ctx);
        Tensor pruned; Tensor? ldPruned;
        using (no_grad()) (pruned, ldPruned) = est.Net.Transform.Inverse(z, ctx);
        Assert.That((full - pruned).abs().max().item<float>(), Is.LessThan(1e-5));
        Assert.That((ldFull! - ldPruned!).abs().max().item<float>(), Is.LessThan(1e-5));
    }

    [Test]
    public void SampleShapesFollowSbi()
    {
        using var scope = NewDisposeScope();
        var est = RandomMaf(3, 2, 4);
        using var _ = no_grad();
        var s = est.Sample(7, randn(4, 2));
        Assert.That(s.shape, Is.EqualTo(new long[] { 7, 4, 3 }));
        var lp = est.LogProb(s, randn(4, 2));
        Assert.That(lp.shape, Is.EqualTo(new long[] { 7, 4 }));
        Assert.That(est.LogProb(randn(4, 3), randn(1, 2)).shape, Is.EqualTo(new long[] { 1, 4 }));
        Assert.Throws<ArgumentException>(() => est.LogProb(randn(4, 2), randn(4, 2)));
        Assert.Throws<ArgumentException>(() => est.LogProb(randn(4, 3), randn(3, 2)));
    }
}
