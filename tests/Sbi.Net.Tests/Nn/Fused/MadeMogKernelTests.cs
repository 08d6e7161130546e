using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Optim;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused CPU kernel of the <c>made</c> estimator against the modules. The mixture terms run in double precision,
/// the GEMMs in float32 in another summation order: log-probs agree to 1e-6 relative plus 2e-5 absolute, gradients to
/// 1e-4 of their scale.
/// </summary>
public class MadeMogKernelTests
{
    private static (ConditionalDensityEstimator Net, FlatAdam Adam, Tensor Theta, Tensor X) Build(int d, int c, int hidden, int blocks, int components,
        ZScoreMode zTheta = ZScoreMode.Independent, int rows = 300)
    {
        manual_seed(17);
        var theta = randn(rows, d) * 2 + 1;
        var x = randn(rows, c) * 3;
        var net = PosteriorNn.Build(new DensityEstimatorOptions
        {
            Model = "made", HiddenFeatures = hidden, NumBlocks = blocks, NumComponents = components, ZScoreTheta = zTheta,
        })(theta, x);
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.1);
        var adam = new FlatAdam(net.parameters().ToList(), 1e-3);
        using (no_grad())
            foreach (var l in net.modules().OfType<MaskedLinear>()) l.Weight.mul_(l.Mask);
        return (net, adam, theta, x);
    }

    private static Tensor Context(ConditionalDensityEstimator net, Tensor x) => FusedTrainingKernels.Embed(net, x);

    [TestCase(5, 3, 50, 5, 10, ZScoreMode.Independent)]
    [TestCase(1, 2, 16, 2, 3, ZScoreMode.Structured)]
    [TestCase(3, 4, 20, 1, 5, ZScoreMode.None)]
    public void LogProbEqualsTheModules(int d, int c, int hidden, int blocks, int components, ZScoreMode zTheta)
    {
        using var scope = NewDisposeScope();
        var (net, _, theta, x) = Build(d, c, hidden, blocks, components, zTheta);
        using var kernel = MadeMogKernel.TryCreate(net, out var reason);
        Assert.That(kernel, Is.Not.Null, reason);
        using var _ = no_grad();
        var expected = net.LogProbPaired(theta, x);
        var actual = kernel!.LogProb(theta, Context(net, x));
        var tolerance = expected.abs() * 1e-6f + 2e-5f;
        Assert.That((actual - expected).abs().le(tolerance).all().item<bool>(), Is.True,
                    $"max |diff| {(actual - expected).abs().max().item<float>()} at max |log q| {expected.abs().max().item<float>()}");
    }

    [TestCase(5, 3, 50, 5, 10)]
    [TestCase(1, 2, 16, 2, 3)]
    [TestCase(3, 4, 20, 1, 5)]
    public void GradientsEqualAutograd(int d, int c, int hidden, int blocks, int components)
    {
        using var scope = NewDisposeScope();
        var (net, adam, theta, x) = Build(d, c, hidden, blocks, components);
        var coef = randn(theta.shape[0]) / theta.shape[0];
        var layers = net.modules().OfType<MaskedLinear>().ToList();
        adam.ZeroGrad();
        (coef * net.LogProbPaired(theta, x)).sum().backward();
        var expected = adam.Gradients.clone();

        using var kernel = MadeMogKernel.TryCreate(net, out var reason);
        Assert.That(kernel, Is.Not.Null, reason);
        adam.Gradients.fill_(7f); // stale values must be overwritten
        kernel!.LogProb(theta, Context(net, x));
        kernel.Backward(coef);
        using (no_grad())
            foreach (var l in layers) l.Weight.grad!.mul_(l.Mask); // the optimiser's gradient mask
        var actual = adam.Gradients;
        float scale = expected.abs().max().item<float>();
        Assert.That(scale, Is.GreaterThan(1e-3f));
        var error = (actual - expected).abs().max().item<float>();
        Assert.That(error, Is.LessThan(1e-4f * Math.Max(1f, scale)), $"max |diff| {error}, scale {scale}");
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
            Assert.That(MadeMogKernel.TryCreate(net, out var reason), Is.Null, model);
            Assert.That(reason, Does.Contain(why), model);
        }
    }

    /// <summary>Round 0 and an NPE-B round trained with the kernel and with autograd from the same seed: same losses to rounding.</summary>
    [Test]
    public void TrainingMatchesAutogradTraining()
    {
        var runs = new List<(List<double> Train, List<double> Val, string Backend)>();
        foreach (bool fused in new[] { true, false })
        {
            using var scope = NewDisposeScope();
            manual_seed(5);
            var prior = new BoxUniform(zeros(2) - 2, zeros(2) + 2);
            var theta = prior.Sample(600);
            var x = theta + 0.3 * randn_like(theta);
            var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { Model = "made", HiddenFeatures = 20, NumBlocks = 2, NumComponents = 4 }),
                               showProgressBars: false) { UseFusedCpuKernels = fused };
            npe.AppendSimulations(theta, x).Train(maxNumEpochs: 3, trainingBatchSize: 50);
            var backend = npe.TrainingBackend;
            var posterior = npe.BuildPosterior().SetDefaultX(x.narrow(0, 0, 1));
            var theta2 = posterior.Sample(300);
            var x2 = theta2 + 0.3 * randn_like(theta2);
            npe.AppendSimulations(theta2, x2, proposal: posterior).Train(maxNumEpochs: 3, trainingBatchSize: 50);
            runs.Add((npe.Summary.TrainingLoss.ToList(), npe.Summary.ValidationLoss.ToList(), backend));
        }
        Assert.That(runs[0].Backend, Is.EqualTo("fused CPU kernel"));
        Assert.That(runs[1].Backend, Does.StartWith("autograd"));
        Assert.That(runs[0].Train.Count, Is.EqualTo(runs[1].Train.Count));
        for (int i = 0; i < runs[0].Train.Count; i++)
        {
            Assert.That(runs[0].Train[i], Is.EqualTo(runs[1].Train[i]).Within(1e-4 * Math.Max(1, Math.Abs(runs[1].Train[i]))), $"training loss {i}");
            Assert.That(runs[0].Val[i], Is.EqualTo(runs[1].Val[i]).Within(1e-4 * Math.Max(1, Math.Abs(runs[1].Val[i]))), $"validation loss {i}");
        }
    }
}
