using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Optim;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused CPU NSF kernel against the modules it replaces in training. The kernel evaluates the splines in double
/// precision, the modules in float32 (PyTorch's arithmetic); narrow bins amplify float32 rounding of the bin widths in
/// the log-derivative, so log-probs agree to 1e-5 relative plus 1e-4 absolute and gradients to 1e-3 of their scale.
/// </summary>
public class NsfKernelTests : FusedKernelTestBase
{
    private static (ConditionalDensityEstimator Net, FlatAdam Adam, Tensor Theta, Tensor X) Build(int d, int c, int hidden, int blocks, int bins,
        ZScoreMode zTheta = ZScoreMode.Independent, int rows = 300)
    {
        manual_seed(13);
        var theta = randn(rows, d) * 2 + 1;
        var x = randn(rows, c) * 3;
        var net = PosteriorNn.Build(new DensityEstimatorOptions
        {
            Model = "nsf", HiddenFeatures = hidden, NumTransforms = 3, NumBlocks = blocks, NumBins = bins, ZScoreTheta = zTheta,
        })(theta, x);
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.2); // away from the identity init
        return (net, new FlatAdam(net.parameters().ToList(), 1e-3), theta, x);
    }

    [TestCase(5, 3, 50, 2, 10, ZScoreMode.Independent)]
    [TestCase(2, 2, 16, 1, 4, ZScoreMode.Structured)]
    [TestCase(3, 4, 20, 3, 6, ZScoreMode.None)]
    public void LogProbEqualsTheModules(int d, int c, int hidden, int blocks, int bins, ZScoreMode zTheta)
    {
        using var scope = NewDisposeScope();
        var (net, _, theta, x) = Build(d, c, hidden, blocks, bins, zTheta);
        using var kernel = NsfKernel.TryCreate(net, out var reason);
        FusedKernelChecks.LogProbEqualsModules(net, kernel, reason, theta, x);
    }

    [TestCase(5, 3, 50, 2, 10)]
    [TestCase(2, 2, 16, 1, 4)]
    [TestCase(3, 4, 20, 3, 6)]
    public void GradientsEqualAutograd(int d, int c, int hidden, int blocks, int bins)
    {
        using var scope = NewDisposeScope();
        var (net, adam, theta, x) = Build(d, c, hidden, blocks, bins);
        FusedKernelChecks.GradientsEqualAutograd(net, adam, () => NsfKernel.TryCreate(net, out _), theta, x);
    }

    [Test]
    public void OneDimensionalAndOtherEstimatorsAreDeclined()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        foreach (var (model, d, why) in new[] { ("nsf", 1, "LU linear"), ("maf", 2, "spline coupling"), ("made", 2, "standard normal"), ("mdn", 2, "not a flow") })
        {
            var net = PosteriorNn.Build(model)(randn(100, d), randn(100, 3));
            using var adam = new FlatAdam(net.parameters().ToList(), 1e-3);
            Assert.That(NsfKernel.TryCreate(net, out var reason), Is.Null, model);
            Assert.That(reason, Does.Contain(why), model);
        }
    }

    [Test]
    public void TrainingMatchesAutogradTraining()
        => FusedKernelChecks.TrainingMatchesAutograd(new DensityEstimatorOptions { Model = "nsf", HiddenFeatures = 20, NumTransforms = 2, NumBins = 5 }, 3);
}
