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
        // The exact round trip is the identity; the same round trip in float64 (largest over RoundingRealisations) measures how
        // the three affine layers (scales far from 1 here) amplify rounding; the float32 bound is that scaled up.
        using var est64 = (FlowEstimator)Float64.Copy(est);
        var ctx64 = est64.Net.Embed(x.D());
        (double Back, double LogDet) RoundTrip64(int k)
        {
            var t = RoundingRealisations.Perturb(theta.D(), k);
            var (z64, ld64) = est64.Net.Transform.Forward(t, ctx64);
            var (back64, ldInv64) = est64.Net.Transform.Inverse(z64, ctx64);
            return ((back64 - t).abs().max().item<double>(), (ld64! + ldInv64!).abs().max().item<double>());
        }
        double e64Back = RoundingRealisations.MaxError(k => RoundTrip64(k).Back), e64Ld = RoundingRealisations.MaxError(k => RoundTrip64(k).LogDet);
        long h = est.Config.HiddenFeatures;
        Assert.That((back - theta).abs().max().item<float>(), Is.LessThanOrEqualTo(Tolerances.Float32FromFloat64(e64Back, h, theta.abs().max().item<float>())));
        Assert.That((ld! + ldInv!).abs().max().item<float>(), Is.LessThanOrEqualTo(Tolerances.Float32FromFloat64(e64Ld, h, ld!.abs().max().item<float>())));
    }

    /// <summary>∫ q(θ | x) dθ = 1 (see <see cref="DensityChecks.AssertIntegratesTo"/>).</summary>
    [TestCase(1, 2001)]
    [TestCase(2, 401)]
    public void LogProbIntegratesToOne(int d, int points)
    {
        using var scope = NewDisposeScope();
        var est = RandomMaf(d, 2, 3, weightScale: 1.5);
        DensityChecks.AssertIntegratesTo(est, tensor(new float[] { 0.4f, -1.1f }).unsqueeze(0), points);
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
        // Both are float32 evaluations of the same maths: the pruned one is as close to nflows' passes in float64.
        using var est64 = (FlowEstimator)Float64.Copy(est);
        var (full64, ldFull64) = est64.Net.Transform.Inverse(z.D(), ctx.D());
        var samples = FloatAgreement.Float32Only(pruned, full, full64, est.Config.HiddenFeatures);
        var logDet = FloatAgreement.Float32Only(ldPruned!, ldFull!, ldFull64!, est.Config.HiddenFeatures);
        Assert.That(samples.Float32Accurate, "samples: " + samples);
        Assert.That(logDet.Float32Accurate, "log|det|: " + logDet);
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

    /// <summary>Gaussian linear accuracy of the default MAF (see <see cref="DensityChecks.GaussianLinearPosteriorIsAccurate"/>).</summary>
    [Test]
    public void GaussianLinearPosteriorIsAccurate() => DensityChecks.GaussianLinearPosteriorIsAccurate("maf");
}
