using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Testing;
using Sbi.Tests.Transforms;
using Sbi.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Estimators;

public class NsfTests
{
    /// <summary>An NSF with noisy weights (non-trivial splines and LU layers), z-scoring statistics from a skewed batch.</summary>
    internal static FlowEstimator RandomNsf(int d, int c, int seed, double noise = 0.3)
    {
        manual_seed(seed);
        var theta = randn(500, d) * 1.5 + 0.3;
        var x = randn(500, c);
        var est = (FlowEstimator)PosteriorNn.Build(new DensityEstimatorOptions { Model = "nsf", HiddenFeatures = 16, NumTransforms = 3 })(theta, x);
        DensityChecks.Perturb(est, noise);
        est.eval();
        return est;
    }

    /// <summary>Trainable parameter counts of sbi's NSF with C = 3 (parity README; D = 3, C = 4: 66,992 in the spec).</summary>
    [TestCase(1, 3, 21_145)]
    [TestCase(2, 3, 61_675)]
    [TestCase(5, 3, 73_977)]
    [TestCase(3, 4, 66_992)]
    public void ParameterCountsEqualSbis(int d, int c, long expected)
    {
        using var scope = NewDisposeScope();
        var est = PosteriorNn.Build("nsf")(randn(50, d), randn(50, c));
        Assert.That(est.NumTrainableParameters, Is.EqualTo(expected));
    }

    /// <summary>Transform layout of sbi's build_nsf (sbi/neural_nets/net_builders/flow.py) and its state-dict keys: couplings at odd indices with alternating masks, LU layers after each (none for D = 1).</summary>
    [Test]
    public void LayoutFollowsSbi()
    {
        using var scope = NewDisposeScope();
        var est5 = (FlowEstimator)PosteriorNn.Build("nsf")(randn(50, 5), randn(50, 3));
        var t5 = ((CompositeTransform)est5.Net.Transform).Transforms;
        Assert.That(t5.Count, Is.EqualTo(11));
        Assert.That(t5[0], Is.InstanceOf<PointwiseAffineTransform>());
        var sd = est5.state_dict();
        for (int i = 0; i < 5; i++)
        {
            Assert.That(t5[1 + 2 * i], Is.InstanceOf<PiecewiseRationalQuadraticCouplingTransform>());
            Assert.That(t5[2 + 2 * i], Is.InstanceOf<LULinear>());
            var tf = sd[$"net._transform._transforms.{1 + 2 * i}.transform_features"].data<long>().ToArray();
            var id = sd[$"net._transform._transforms.{1 + 2 * i}.identity_features"].data<long>().ToArray();
            Assert.That(tf, Is.EqualTo(i % 2 == 0 ? new long[] { 0, 2, 4 } : new long[] { 1, 3 }));
            Assert.That(id, Is.EqualTo(i % 2 == 0 ? new long[] { 1, 3 } : new long[] { 0, 2, 4 }));
            Assert.That(sd[$"net._transform._transforms.{1 + 2 * i}.transform_net.final_layer.weight"].shape,
                Is.EqualTo(new long[] { tf.Length * 29, 50 }));
        }
        // LU keys are exactly nflows' (its index maps are constants outside the state dict).
        Assert.That(sd.Keys.Where(k => k.StartsWith("net._transform._transforms.2.")).Select(k => k[29..]),
            Is.EquivalentTo(new[] { "bias", "lower_entries", "upper_entries", "unconstrained_upper_diag" }));
        var est1 = (FlowEstimator)PosteriorNn.Build("nsf")(randn(50, 1), randn(50, 3));
        var keys1 = est1.state_dict().Keys.ToList();
        Assert.That(((CompositeTransform)est1.Net.Transform).Transforms.Count, Is.EqualTo(6));
        Assert.That(keys1, Does.Contain("net._transform._transforms.5.transform_net.spline_predictor.4.weight"));
        Assert.That(keys1.Any(k => k.Contains("lower_entries")), Is.False);
    }

    /// <summary>
    /// Round trip θ → z → θ′ through strongly perturbed splines and LU layers, in float32 and float64: every row within
    /// <see cref="Tolerances.KernelFactor"/> times its first-order error-propagation bound
    /// (<see cref="RoundTripPropagation"/>, built from each layer's own round-trip error and the Jacobians of the inverse).
    /// The propagation amplifies single rows by orders of magnitude (float32 loses up to ~1e-2 on single rows with
    /// D = 5), which is why the bound is per row.
    /// </summary>
    [TestCase(1, ScalarType.Float32)]
    [TestCase(2, ScalarType.Float32)]
    [TestCase(5, ScalarType.Float32)]
    [TestCase(1, ScalarType.Float64)]
    [TestCase(2, ScalarType.Float64)]
    [TestCase(5, ScalarType.Float64)]
    public void InverseOfForwardIsIdentity(int d, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var est32 = RandomNsf(d, 3, d);
        using var est = dtype == ScalarType.Float64 ? (FlowEstimator)Float64.Copy(est32) : est32;
        var theta = (randn(300, d, dtype: ScalarType.Float64) * 2).to(dtype);   // reaches the linear tails of the splines too
        var x = randn(300, 3, dtype: ScalarType.Float64).to(dtype);
        var ctx = est.Net.Embed(x).detach();
        var layers = ((CompositeTransform)est.Net.Transform).Transforms;
        var bound = RoundTripPropagation.Bound(layers, theta, ctx);
        using var _ = no_grad();
        var (z, ld) = est.Net.Transform.Forward(theta, ctx);
        var (back, ldInv) = est.Net.Transform.Inverse(z, ctx);
        var backError = (back.D() - theta.D()).abs().amax(1);
        var logDetError = (ld!.D() + ldInv!.D()).abs();
        var backExcess = (backError / (Tolerances.KernelFactor * bound.Back)).max().item<double>();
        var logDetExcess = (logDetError / (Tolerances.KernelFactor * bound.LogDet)).max().item<double>();
        Assert.That(backExcess, Is.LessThanOrEqualTo(1), $"largest |θ′ − θ| {backError.max().item<double>():G3}");
        Assert.That(logDetExcess, Is.LessThanOrEqualTo(1), $"largest |ld + ld⁻¹| {logDetError.max().item<double>():G3}");
    }

    /// <summary>∫ q(θ | x) dθ = 1 (see <see cref="DensityChecks.AssertIntegratesTo"/>).</summary>
    [TestCase(1, 2001)]
    [TestCase(2, 401)]
    public void LogProbIntegratesToOne(int d, int points)
    {
        using var scope = NewDisposeScope();
        var est = RandomNsf(d, 2, 11);
        var x = tensor(new float[] { 0.4f, -1.1f }).unsqueeze(0);
        DensityChecks.AssertIntegratesTo(est, x, points);
    }

    [Test]
    public void ModelFileRoundTripIsExact() => DensityChecks.ModelFileRoundTripIsExact(RandomNsf(2, 3, 8), "net._transform._transforms.2.lower_entries");

    [Test]
    public void SampleAndLogProbShapesFollowSbi()
    {
        using var scope = NewDisposeScope();
        var est = RandomNsf(3, 2, 4);
        using var _ = no_grad();
        var s = est.Sample(7, randn(4, 2));
        Assert.That(s.shape, Is.EqualTo(new long[] { 7, 4, 3 }));
        Assert.That(est.LogProb(s, randn(4, 2)).shape, Is.EqualTo(new long[] { 7, 4 }));
        Assert.That(est.Loss(randn(5, 3), randn(5, 2)).shape, Is.EqualTo(new long[] { 5 }));
    }

    /// <summary>Gradients reach every trainable parameter (the where-selected tails must not cut the graph or make NaNs).</summary>
    [Test]
    public void GradientsAreFiniteAndReachEveryParameter()
    {
        using var scope = NewDisposeScope();
        var est = RandomNsf(3, 2, 5);
        est.train();
        var theta = randn(64, 3) * 3;
        est.Loss(theta, randn(64, 2)).mean().backward();
        foreach (var (name, p) in est.named_parameters())
        {
            Assert.That(p.grad, Is.Not.Null, name);
            Assert.That(p.grad!.isfinite().all().item<bool>(), name);
            Assert.That(p.grad!.abs().sum().item<float>(), Is.GreaterThan(0f), name);
        }
    }

    /// <summary>
    /// Gaussian linear accuracy (see <see cref="DensityChecks.GaussianLinearPosteriorIsAccurate"/>), with a robust scale:
    /// NSF's identity tails beyond ±3 in every layer map the ~0.3 % of base noise outside ±3 almost unchanged, i.e. to
    /// z-scored θ beyond ±3, far outside this narrow posterior (std 0.1). That is how nflows' NSF behaves in sbi too;
    /// those few samples inflate the plain std to ~0.2–0.25 while the bulk of the samples is right.
    /// </summary>
    [Test]
    public void GaussianLinearPosteriorIsAccurate() => DensityChecks.GaussianLinearPosteriorIsAccurate("nsf", robustScale: true);
}
