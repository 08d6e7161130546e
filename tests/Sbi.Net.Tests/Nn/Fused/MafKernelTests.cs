using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused CPU MAF kernel against the modules it replaces in training: same log-probs, same gradients, same
/// training curve. Tolerances: float32 sums of ~50 products differ by GEMM order at ~1e-7 relative and the rational
/// tanh by a few ulp, so log-probs of magnitude ≤ 50 agree to 2e-5 and gradients to 1e-4 of their scale.
/// </summary>
public class MafKernelTests
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

    private static Tensor Context(ConditionalDensityEstimator net, Tensor x) => FusedTrainingKernels.Embed(net, x);

    [TestCase(5, 3, 50, 2, ZScoreMode.Independent, ZScoreMode.Independent)]
    [TestCase(1, 2, 16, 1, ZScoreMode.Structured, ZScoreMode.None)]
    [TestCase(2, 4, 20, 0, ZScoreMode.None, ZScoreMode.Structured)]
    [TestCase(3, 1, 12, 3, ZScoreMode.Independent, ZScoreMode.Independent)]
    public void LogProbEqualsTheModules(int d, int c, int hidden, int blocks, ZScoreMode zTheta, ZScoreMode zX)
    {
        using var scope = NewDisposeScope();
        var (net, _, theta, x) = Build(d, c, hidden, blocks, zTheta, zX);
        using var kernel = MafKernel.TryCreate(net, out var reason);
        Assert.That(kernel, Is.Not.Null, reason);
        using var _ = no_grad();
        var expected = net.LogProbPaired(theta, x);
        var actual = kernel!.LogProb(theta, Context(net, x));
        // float32 rounding of ~100 chained ops: ~1e-6 relative, plus 2e-5 absolute for the tanh approximation
        var tolerance = expected.abs() * 1e-6f + 2e-5f;
        Assert.That((actual - expected).abs().le(tolerance).all().item<bool>(), Is.True,
                    $"max |diff| {(actual - expected).abs().max().item<float>()} at max |log q| {expected.abs().max().item<float>()}");
    }

    [TestCase(5, 3, 50, 2)]
    [TestCase(1, 2, 16, 1)]
    [TestCase(2, 4, 20, 0)]
    public void GradientsEqualAutograd(int d, int c, int hidden, int blocks)
    {
        using var scope = NewDisposeScope();
        var (net, adam, theta, x) = Build(d, c, hidden, blocks);
        var coef = randn(theta.shape[0]) / theta.shape[0];
        var layers = net.modules().OfType<MaskedLinear>().ToList();

        adam.ZeroGrad();
        (coef * net.LogProbPaired(theta, x)).sum().backward();
        var expected = adam.Gradients.clone();

        using var kernel = MafKernel.TryCreate(net, out var reason);
        Assert.That(kernel, Is.Not.Null, reason);
        adam.ZeroGrad();
        kernel!.LogProb(theta, Context(net, x));
        kernel.Backward(coef);
        using (no_grad())
            foreach (var l in layers) l.Weight.grad!.mul_(l.Mask); // the optimiser's gradient mask
        var actual = adam.Gradients;
        // the kernel wrote every gradient autograd wrote (a fully masked weight, as the D = 1 initial layer, stays zero in both)
        Assert.That(actual.ne(0).sum().item<long>(), Is.EqualTo(expected.ne(0).sum().item<long>()));

        float scale = expected.abs().max().item<float>();
        Assert.That(scale, Is.GreaterThan(1e-3f));
        Assert.That((actual - expected).abs().max().item<float>(), Is.LessThan(1e-4f * Math.Max(1f, scale)));
    }

    [Test]
    public void BackwardOverwritesStaleGradients()
    {
        using var scope = NewDisposeScope();
        var (net, adam, theta, x) = Build(2, 2, 8, 1);
        using var kernel = MafKernel.TryCreate(net, out _)!;
        var coef = full(theta.shape[0], 1f / theta.shape[0]);
        kernel.LogProb(theta, Context(net, x));
        kernel.Backward(coef);
        var first = adam.Gradients.clone();
        adam.Gradients.fill_(123f);
        kernel.Backward(coef);
        Assert.That((adam.Gradients - first).abs().max().item<float>(), Is.EqualTo(0f));
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
        var ex = Assert.Throws<ArgumentException>(() => kernel.LogProb(theta.narrow(1, 0, 1), Context(net, x)));
        Assert.That(ex!.ParamName, Is.EqualTo("theta"));
        ex = Assert.Throws<ArgumentException>(() => kernel.LogProb(theta, Context(net, x).narrow(0, 0, 10)));
        Assert.That(ex!.ParamName, Is.EqualTo("context"));
    }

    /// <summary>
    /// Round 0 and an NPE-B round (proposal + calibration kernel) trained with the kernel and with autograd from the
    /// same seed: same split and batches, losses equal to float rounding that grows slowly over the steps.
    /// </summary>
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
            var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 20, NumTransforms = 2 }),
                               showProgressBars: false) { UseFusedCpuKernels = fused };
            npe.AppendSimulations(theta, x).Train(maxNumEpochs: 3, trainingBatchSize: 50);
            var backend = npe.TrainingBackend;
            var posterior = npe.BuildPosterior().SetDefaultX(x.narrow(0, 0, 1));
            var theta2 = posterior.Sample(300);
            var x2 = theta2 + 0.3 * randn_like(theta2);
            npe.AppendSimulations(theta2, x2, proposal: posterior)
               .Train(maxNumEpochs: 3, trainingBatchSize: 50, calibrationKernel: xs => (-xs.pow(2).sum(1) / 10).exp());
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
