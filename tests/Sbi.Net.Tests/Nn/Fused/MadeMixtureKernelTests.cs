using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Optim;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused CPU kernel of the <c>made</c> estimator against the modules. The mixture terms run batched in float32
/// with vectorised exp/log, the GEMMs in another summation order: log-probs agree to 1e-6 relative plus 2e-5 absolute,
/// gradients to 1e-4 of their scale.
/// </summary>
public class MadeMixtureKernelTests : FusedKernelTestBase
{
    private static (ConditionalDensityEstimator Net, FlatAdam Adam, Tensor Theta, Tensor X) Build(int d, int c, int hidden, int components,
        ZScoreMode zTheta = ZScoreMode.Independent, int rows = 300)
    {
        manual_seed(17);
        var theta = randn(rows, d) * 2 + 1;
        var x = randn(rows, c) * 3;
        var net = PosteriorNn.Build(new DensityEstimatorOptions
        {
            Model = "made", HiddenFeatures = hidden, NumComponents = components, ZScoreTheta = zTheta,
        })(theta, x);
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.1);
        var adam = new FlatAdam(net.parameters().ToList(), 1e-3);
        using (no_grad())
            foreach (var l in net.modules().OfType<MaskedLinear>()) l.Weight.mul_(l.Mask);
        return (net, adam, theta, x);
    }

    [TestCase(5, 3, 50, 10, ZScoreMode.Independent)]
    [TestCase(1, 2, 16, 3, ZScoreMode.Structured)]
    [TestCase(3, 4, 20, 5, ZScoreMode.None)]
    public void LogProbEqualsTheModules(int d, int c, int hidden, int components, ZScoreMode zTheta)
    {
        using var scope = NewDisposeScope();
        var (net, _, theta, x) = Build(d, c, hidden, components, zTheta);
        using var kernel = MadeMixtureKernel.TryCreate(net, out var reason);
        FusedKernelChecks.LogProbEqualsModules(net, kernel, reason, theta, x);
    }

    [TestCase(5, 3, 50, 10)]
    [TestCase(1, 2, 16, 3)]
    [TestCase(3, 4, 20, 5)]
    public void GradientsEqualAutograd(int d, int c, int hidden, int components)
    {
        using var scope = NewDisposeScope();
        var (net, adam, theta, x) = Build(d, c, hidden, components);
        FusedKernelChecks.GradientsEqualAutograd(net, adam, () => MadeMixtureKernel.TryCreate(net, out _), theta, x);
    }

    [Test]
    public void OtherEstimatorsAreDeclined()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        foreach (var (model, why) in new[] { ("maf", "MADE mixture"), ("mdn", "not a flow") })
        {
            var net = PosteriorNn.Build(model)(randn(100, 2), randn(100, 3));
            using var adam = new FlatAdam(net.parameters().ToList(), 1e-3);
            Assert.That(MadeMixtureKernel.TryCreate(net, out var reason), Is.Null, model);
            Assert.That(reason, Does.Contain(why), model);
        }
    }

    [Test]
    public void TrainingMatchesAutogradTraining()
        => FusedKernelChecks.TrainingMatchesAutograd(new DensityEstimatorOptions { Model = "made", HiddenFeatures = 20, NumComponents = 4 }, 2);
}
