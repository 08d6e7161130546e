using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Optim;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>Checks every fused kernel must pass against the modules and autograd.</summary>
internal static class FusedKernelChecks
{
    /// <summary>The embedded context of x.</summary>
    public static Tensor Context(ConditionalDensityEstimator net, Tensor x) => FusedTrainingKernels.Embed(net, x);

    /// <summary>
    /// The kernel's log-probs equal the modules' to <paramref name="relative"/>·|log q| + <paramref name="absolute"/>.
    /// </summary>
    public static void LogProbEqualsModules(ConditionalDensityEstimator net, IFusedTrainingKernel? kernel, string reason,
                                            Tensor theta, Tensor x, float relative, float absolute)
    {
        Assert.That(kernel, Is.Not.Null, reason);
        using var _ = no_grad();
        var expected = net.LogProbPaired(theta, x);
        var actual = kernel!.LogProb(theta, Context(net, x));
        var tolerance = expected.abs() * relative + absolute;
        Assert.That((actual - expected).abs().le(tolerance).all().item<bool>(), Is.True,
                    $"max |diff| {(actual - expected).abs().max().item<float>()} at max |log q| {expected.abs().max().item<float>()}");
    }

    /// <summary>
    /// ∂(Σ c_i log q_i)/∂w from the kernel equals autograd's to <paramref name="relative"/> of the largest gradient, every
    /// gradient autograd writes is written, and stale values in the buffer are overwritten. MADE masks are applied to the
    /// kernel's gradients as the optimiser does.
    /// </summary>
    public static void GradientsEqualAutograd(ConditionalDensityEstimator net, FlatAdam adam, Func<IFusedTrainingKernel?> create,
                                              Tensor theta, Tensor x, float relative)
    {
        var coef = randn(theta.shape[0]) / theta.shape[0];
        adam.ZeroGrad();
        (coef * net.LogProbPaired(theta, x)).sum().backward();
        var expected = adam.Gradients.clone();

        using var kernel = create();
        Assert.That(kernel, Is.Not.Null);
        adam.Gradients.fill_(7f); // stale values must be overwritten
        kernel!.LogProb(theta, Context(net, x));
        kernel.Backward(coef);
        using (no_grad())
            foreach (var l in net.modules().OfType<MaskedLinear>()) l.Weight.grad!.mul_(l.Mask);
        var actual = adam.Gradients;
        Assert.That(actual.ne(0).sum().item<long>(), Is.EqualTo(expected.ne(0).sum().item<long>()), "nonzero gradient entries");
        float scale = expected.abs().max().item<float>();
        Assert.That(scale, Is.GreaterThan(1e-3f));
        var error = (actual - expected).abs().max().item<float>();
        Assert.That(error, Is.LessThan(relative * Math.Max(1f, scale)), $"max |diff| {error}, scale {scale}");
    }

    /// <summary>
    /// Round 0 and an NPE-B round (a proposal and a calibration kernel) trained with the fused kernel and with autograd
    /// from the same seed: same split and batches, losses equal to 1e-4 (float rounding that grows slowly over the steps).
    /// </summary>
    public static void TrainingMatchesAutograd(DensityEstimatorOptions options, int d)
    {
        var runs = new List<(List<double> Train, List<double> Val, string Backend)>();
        foreach (bool fused in new[] { true, false })
        {
            using var scope = NewDisposeScope();
            manual_seed(5);
            var prior = new BoxUniform(zeros(d) - 2, zeros(d) + 2);
            var theta = prior.Sample(600);
            var x = theta + 0.3 * randn_like(theta);
            var npe = new NpeB(prior, PosteriorNn.Build(options), showProgressBars: false) { UseFusedCpuKernels = fused };
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
