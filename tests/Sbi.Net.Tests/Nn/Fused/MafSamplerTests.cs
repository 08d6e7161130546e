using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused MAF sampler against the modules' inverse (nflows' D passes, through <c>MadeInverse</c>) on the same
/// noise: as close to the modules' float64 inverse as the modules' own float32 inverse is
/// (<see cref="FloatAgreement.Float32Only"/>; the perturbed weights send a few far-tail draws to |θ| of several
/// hundred, where both float32 paths lose the most).
/// </summary>
public class MafSamplerTests : FusedKernelTestBase
{
    private static FlowEstimator Build(int d, int c, int hidden, int blocks, ZScoreMode zTheta) =>
        FusedKernelChecks.PerturbedMaf(21, d, c, hidden, blocks, zTheta);

    [TestCase(5, 3, 50, 2, ZScoreMode.Independent, 1)]
    [TestCase(5, 3, 50, 2, ZScoreMode.Independent, 4)]
    [TestCase(1, 2, 16, 1, ZScoreMode.Structured, 3)]
    [TestCase(2, 4, 20, 0, ZScoreMode.None, 2)]
    [TestCase(3, 1, 12, 3, ZScoreMode.Independent, 1)]
    public void SamplesFromNoiseEqualTheModules(int d, int c, int hidden, int blocks, ZScoreMode zTheta, int conditions)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var net = Build(d, c, hidden, blocks, zTheta);
        var x = randn(conditions, c) * 3;
        var noise = randn(conditions, 2500, d); // more rows than one chunk per condition when B > 1
        net.Net.UseFusedSampler = false;
        var expected = net.SampleFromNoise(noise, x);
        net.Net.UseFusedSampler = true;
        var actual = net.SampleFromNoise(noise, x);
        Assert.That(actual.shape, Is.EqualTo(expected.shape));
        using var net64 = (FlowEstimator)Float64.Copy(net);
        var a = FloatAgreement.Float32Only(actual, expected, net64.SampleFromNoise(noise.D(), x.D()), hidden);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
    }

    [Test]
    public void SampleDrawsTheSameNoiseAsTheModules()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var net = Build(3, 2, 16, 2, ZScoreMode.Independent);
        var x = randn(2, 2);
        manual_seed(7);
        net.Net.UseFusedSampler = false;
        var expected = net.Sample(100, x);
        manual_seed(7);
        net.Net.UseFusedSampler = true;
        var actual = net.Sample(100, x);
        // The same noise: then the samples agree as SamplesFromNoiseEqualTheModules requires.
        manual_seed(7);
        var noise = randn(2 * 100, 3).view(2, 100, 3);
        using var net64 = (FlowEstimator)Float64.Copy(net);
        var a = FloatAgreement.Float32Only(actual, expected, net64.SampleFromNoise(noise.D(), x.D()).transpose(0, 1), 16);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
    }

    [Test]
    public void GradientModeAndOtherFlowsUseTheModules()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var nsf = (FlowEstimator)PosteriorNn.Build("nsf")(randn(50, 2), randn(50, 3));
        Assert.That(MafSampler.TryCreate(nsf.Net, out var reason), Is.Null);
        Assert.That(reason, Does.Contain("MAF layer"));
        // with gradients enabled sampling stays differentiable through the modules
        var maf = Build(2, 3, 8, 1, ZScoreMode.Independent);
        var s = maf.SampleFromNoise(randn(1, 10, 2), randn(1, 3));
        Assert.That(s.requires_grad, Is.True);
    }

    [Test]
    public void InverseRejectsMisshapenInputs()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var net = Build(2, 3, 8, 1, ZScoreMode.Independent);
        using var sampler = MafSampler.TryCreate(net.Net, out var why)!;
        Assert.That(Assert.Throws<ArgumentException>(() => sampler.Inverse(randn(10, 3), randn(1, 3)))!.ParamName, Is.EqualTo("noise"));
        Assert.That(Assert.Throws<ArgumentException>(() => sampler.Inverse(randn(10, 2), randn(3, 3)))!.ParamName, Is.EqualTo("context"));
    }
}
