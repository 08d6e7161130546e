using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Potentials;
using Sbi.Testing;
using Sbi.Tests.Nn.Fused;
using static TorchSharp.torch;

namespace Sbi.Tests.Potentials;

/// <summary>
/// The potential's no-gradient evaluation through the fused MAF density (what importance sampling and rejection
/// evaluate their candidates with) against the modules: as close to the modules' float64 log-density as the modules'
/// float32 one is, −∞ outside the prior's support as on the module path, and the module path whenever gradients
/// are asked for.
/// </summary>
public class PosteriorBasedPotentialFusedTests : FusedKernelTestBase
{
    private const int Hidden = 50;

    [Test]
    public void WithoutGradientsTheFusedDensityIsAsAccurateAsTheModules()
    {
        using var scope = NewDisposeScope();
        var net = FusedKernelChecks.PerturbedMaf(7, 3, 2, Hidden, 2, ZScoreMode.Independent);
        using var prior = new BoxUniform(new float[] { -4, -4, -4 }, new float[] { 6, 6, 6 });
        var xo = randn(1, 2);
        var fused = new PosteriorBasedPotential(net, prior, xo);
        var modules = new PosteriorBasedPotential(net, prior, xo) { AllowFused = false };
        // Rows inside the box and a few outside it (|θ| up to ~9), over more than one of the kernel's chunks.
        var theta = randn(5000, 3) * 2.5 + 1;
        var viaFused = fused.Evaluate(theta, trackGradients: false);
        var viaModules = modules.Evaluate(theta, trackGradients: false);
        var inside = Support.Within(prior, theta);
        Assert.That(inside.all().item<bool>(), Is.False, "some rows lie outside the prior's support");
        Assert.That(viaFused.isneginf().eq(inside.logical_not()).all().item<bool>(), "−∞ exactly outside the support");
        using var net64 = (FlowEstimator)Float64.Copy(net);
        var inner = theta.index(inside);
        var reference = net64.LogProb(inner.D().unsqueeze(1), xo.D()).squeeze(1);
        var a = FloatAgreement.Float32Only(viaFused.index(inside), viaModules.index(inside), reference, Hidden);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
        // With gradients the module path runs (the fused kernel has no backward pass): the same bits as the modules.
        var tracked = fused.Evaluate(theta, trackGradients: true).detach();
        Assert.That(tracked.eq(viaModules).all().item<bool>(), "trackGradients evaluates through the modules");
    }
}
