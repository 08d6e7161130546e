using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Optim;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// Every fused-kernel test class runs only where the kernels can run: on a machine without AVX2/FMA or MKL's sgemm_,
/// or with SBI_NET_FUSED=0, its tests are skipped with that reason (production falls back to autograd there).
/// </summary>
public abstract class FusedKernelTestBase
{
    [SetUp]
    public void RequireFusedKernels()
    {
        if (FusedAvailability.Reason is { } reason) Assert.Ignore($"fused kernels unavailable: {reason}");
    }
}

/// <summary>
/// Checks every fused kernel must pass against the modules and autograd, with the bounds of <see cref="Tolerances"/>:
/// the modules in float64 are the reference, and the kernel's float32 results may be no further from them than the
/// modules' own float32 results are (<see cref="FloatAgreement.Float32Only"/>).
/// </summary>
internal static class FusedKernelChecks
{
    /// <summary>
    /// A MAF (3 transforms) fitted to nothing: built on 300 rows θ ~ N(1, 2²), x ~ N(0, 3²) drawn after
    /// <c>manual_seed(<paramref name="seed"/>)</c>, every weight then moved by N(0, 0.3²) away from the near-identity init,
    /// so that the fused path and the modules are compared on a flow that does something.
    /// </summary>
    public static FlowEstimator PerturbedMaf(int seed, int d, int c, int hidden, int blocks, ZScoreMode zTheta)
    {
        manual_seed(seed);
        var theta = randn(300, d) * 2 + 1;
        var x = randn(300, c) * 3;
        var net = (FlowEstimator)PosteriorNn.Build(new DensityEstimatorOptions
        {
            HiddenFeatures = hidden, NumTransforms = 3, NumBlocks = blocks, ZScoreTheta = zTheta,
        })(theta, x);
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.3);
        return net;
    }

    /// <summary>The embedded context of x.</summary>
    public static Tensor Context(ConditionalDensityEstimator net, Tensor x) => net.Embed(x);

    /// <summary>The kernel's log-probs are as close to the float64 modules' as the float32 modules' are.</summary>
    public static void LogProbEqualsModules(ConditionalDensityEstimator net, ITrainingKernel? kernel, string reason, Tensor theta, Tensor x)
    {
        Assert.That(kernel, Is.Not.Null, reason);
        using var _ = no_grad();
        using var net64 = Float64.Copy(net);
        var a = FloatAgreement.Float32Only(kernel!.LogProb(theta, Context(net, x)), net.LogProbPaired(theta, x),
                                           net64.LogProbPaired(theta.D(), x.D()), net.Config.HiddenFeatures);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
    }

    /// <summary>
    /// ∂(Σ c_i log q_i)/∂w from the kernel is as close to autograd's float64 gradient as autograd's float32 one is (the
    /// reduction is the batch); every gradient autograd writes is written, and stale values in the buffer are
    /// overwritten. MADE masks are applied to the kernel's gradients as the optimiser does.
    /// </summary>
    public static void GradientsEqualAutograd(ConditionalDensityEstimator net, FlatAdam adam, Func<ITrainingKernel?> create, Tensor theta, Tensor x)
    {
        var coef = randn(theta.shape[0]) / theta.shape[0];
        using var net64 = Float64.Copy(net);
        net64.train();
        (coef.D() * net64.LogProbPaired(theta.D(), x.D())).sum().backward();
        var expected64 = cat(net64.parameters().Select(p => p.grad is null ? zeros(p.numel(), ScalarType.Float64) : p.grad.reshape(-1)).ToList());

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
        var a = FloatAgreement.Float32Only(actual, expected, expected64, theta.shape[0]);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
    }

    /// <summary>
    /// Round 0 and an NPE-B round (a proposal and a calibration kernel) trained with the fused kernel and with autograd
    /// from the same seed: same backend choice, same split and batches, and per-epoch losses within
    /// <see cref="Tolerances.Float32"/> of the autograd run's own sensitivity to rounding, measured by a third run
    /// whose θ and x are perturbed by one unit roundoff (every forward pass of that run rounds differently, as the
    /// kernel's do; Adam then amplifies either difference alike, <see cref="Tolerances.AdamFirstStep"/>).
    /// </summary>
    public static void TrainingMatchesAutograd(DensityEstimatorOptions options, int d)
    {
        var runs = new List<(List<double> Train, List<double> Val, TrainingBackend Backend)>();
        foreach (var (fused, perturb) in new[] { (true, false), (false, false), (false, true) })
        {
            using var scope = NewDisposeScope();
            manual_seed(5);
            var prior = new BoxUniform(zeros(d) - 2, zeros(d) + 2);
            var theta = prior.Sample(600);
            var x = theta + 0.3 * randn_like(theta);
            var npe = new NpeB(prior, PosteriorNn.Build(options), showProgressBars: false) { UseFusedCpuKernels = fused };
            npe.AppendSimulations(Perturbed(theta, perturb), Perturbed(x, perturb)).Train(maxNumEpochs: 3, trainingBatchSize: 50);
            var backend = npe.TrainingBackend;
            var posterior = npe.BuildPosterior().SetDefaultX(x.narrow(0, 0, 1));
            var theta2 = posterior.Sample(300);
            var x2 = theta2 + 0.3 * randn_like(theta2);
            npe.AppendSimulations(Perturbed(theta2, perturb), Perturbed(x2, perturb), proposal: posterior)
               .Train(maxNumEpochs: 3, trainingBatchSize: 50, calibrationKernel: xs => (-xs.pow(2).sum(1) / 10).exp());
            runs.Add((npe.Summary.TrainingLoss.ToList(), npe.Summary.ValidationLoss.ToList(), backend));
        }
        Assert.That(runs[0].Backend, Is.EqualTo(TrainingBackend.FusedCpuKernel));
        Assert.That(runs[1].Backend, Is.EqualTo(TrainingBackend.Autograd));
        Assert.That(runs[0].Train.Count, Is.EqualTo(runs[1].Train.Count));
        Assert.That(runs[2].Train.Count, Is.EqualTo(runs[1].Train.Count));
        double trainSpread = 0, valSpread = 0;
        for (int i = 0; i < runs[0].Train.Count; i++)
        {
            // The sensitivity up to epoch i: rounding differences do not shrink once Adam has amplified them.
            trainSpread = Math.Max(trainSpread, Math.Abs(runs[2].Train[i] - runs[1].Train[i]));
            valSpread = Math.Max(valSpread, Math.Abs(runs[2].Val[i] - runs[1].Val[i]));
            TestContext.Out.WriteLine($"epoch {i}: training |fused − autograd| {Math.Abs(runs[0].Train[i] - runs[1].Train[i]):G3} (perturbed autograd {trainSpread:G3}), " +
                                      $"validation {Math.Abs(runs[0].Val[i] - runs[1].Val[i]):G3} ({valSpread:G3})");
            Assert.That(Math.Abs(runs[0].Train[i] - runs[1].Train[i]), Is.LessThanOrEqualTo(Tolerances.Float32(trainSpread, 50, runs[1].Train[i])), $"training loss {i}");
            Assert.That(Math.Abs(runs[0].Val[i] - runs[1].Val[i]), Is.LessThanOrEqualTo(Tolerances.Float32(valSpread, 50, runs[1].Val[i])), $"validation loss {i}");
        }
    }

    /// <summary>t·(1 + u32·ξ), ξ uniform in [−1, 1): a rounding-level change of every entry (t itself when not asked).</summary>
    private static Tensor Perturbed(Tensor t, bool perturb)
    {
        if (!perturb) return t;
        var g = new TorchSharp.torch.Generator(77);
        return t * (1 + Tolerances.U32 * (rand(t.shape, generator: g) * 2 - 1));
    }
}
