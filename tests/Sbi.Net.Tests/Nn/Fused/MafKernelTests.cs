using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Optim;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused CPU MAF kernel against the modules it replaces in training: same log-probs, same gradients, same
/// training curve. Tolerances: float32 sums of ~50 products differ by GEMM order at ~1e-7 relative and the rational
/// tanh by a few ulp, so log-probs agree to 1e-6 relative (about 100 chained ops) plus 2e-5 absolute, gradients to
/// 1e-4 of their scale.
/// </summary>
public class MafKernelTests : FusedKernelTestBase
{
    private static (ConditionalDensityEstimator Net, FlatAdam Adam, Tensor Theta, Tensor X) Build(int d, int c, int hidden, int blocks,
        ZScoreMode zTheta = ZScoreMode.Independent, ZScoreMode zX = ZScoreMode.Independent, int rows = 300)
    {
        manual_seed(11);
        var theta = randn(rows, d) * 2 + 1;
        var x = theta.narrow(1, 0, Math.Min(d, c)).repeat(1, c).narrow(1, 0, c) * 3 + randn(rows, c);
        var net = PosteriorNn.Build(new DensityEstimatorOptions
        {
            HiddenFeatures = hidden, NumTransforms = 3, NumBlocks = blocks, ZScoreTheta = zTheta, ZScoreX = zX,
        })(theta, x);
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.3); // away from the near-identity init
        var adam = new FlatAdam(net.parameters().ToList(), 1e-3);
        using (no_grad())
            foreach (var l in net.modules().OfType<MaskedLinear>()) l.Weight.mul_(l.Mask);
        return (net, adam, theta, x);
    }

    [TestCase(5, 3, 50, 2, ZScoreMode.Independent, ZScoreMode.Independent)]
    [TestCase(1, 2, 16, 1, ZScoreMode.Structured, ZScoreMode.None)]
    [TestCase(2, 4, 20, 0, ZScoreMode.None, ZScoreMode.Structured)]
    [TestCase(3, 1, 12, 3, ZScoreMode.Independent, ZScoreMode.Independent)]
    public void LogProbEqualsTheModules(int d, int c, int hidden, int blocks, ZScoreMode zTheta, ZScoreMode zX)
    {
        using var scope = NewDisposeScope();
        var (net, _, theta, x) = Build(d, c, hidden, blocks, zTheta, zX);
        using var kernel = MafKernel.TryCreate(net, out var reason);
        FusedKernelChecks.LogProbEqualsModules(net, kernel, reason, theta, x);
    }

    [TestCase(5, 3, 50, 2)]
    [TestCase(1, 2, 16, 1)]
    [TestCase(2, 4, 20, 0)]
    public void GradientsEqualAutograd(int d, int c, int hidden, int blocks)
    {
        using var scope = NewDisposeScope();
        var (net, adam, theta, x) = Build(d, c, hidden, blocks);
        FusedKernelChecks.GradientsEqualAutograd(net, adam, () => MafKernel.TryCreate(net, out _), theta, x);
    }

    [Test]
    public void OtherEstimatorsAndConfigurationsAreDeclined()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var theta = randn(100, 2);
        var x = randn(100, 3);
        foreach (var (options, why) in new[]
        {
            (new DensityEstimatorOptions { Model = "nsf" }, "MAF layer"),
            (new DensityEstimatorOptions { Model = "mdn" }, "not a flow"),
            (new DensityEstimatorOptions { DropoutProbability = 0.1 }, "dropout"),
            (new DensityEstimatorOptions { EmbeddingNet = () => new FcEmbedding(3, 4, numLayers: 2, numHiddens: 8) }, "embedding"),
        })
        {
            var net = PosteriorNn.Build(options)(theta, x);
            using var adam = new FlatAdam(net.parameters().ToList(), 1e-3);
            Assert.That(MafKernel.TryCreate(net, out var reason), Is.Null, options.ToString());
            Assert.That(reason, Does.Contain(why));
        }
    }

    [Test]
    public void LogProbRejectsMisshapenInputs()
    {
        using var scope = NewDisposeScope();
        var (net, _, theta, x) = Build(2, 2, 8, 1);
        using var kernel = MafKernel.TryCreate(net, out _)!;
        var context = FusedKernelChecks.Context(net, x);
        Assert.That(Assert.Throws<ArgumentException>(() => kernel.LogProb(theta.narrow(1, 0, 1), context))!.ParamName, Is.EqualTo("theta"));
        Assert.That(Assert.Throws<ArgumentException>(() => kernel.LogProb(theta, context.narrow(0, 0, 10)))!.ParamName, Is.EqualTo("context"));
    }

    [Test]
    public void TrainingMatchesAutogradTraining()
        => FusedKernelChecks.TrainingMatchesAutograd(new DensityEstimatorOptions { HiddenFeatures = 20, NumTransforms = 2 }, 2);
}
