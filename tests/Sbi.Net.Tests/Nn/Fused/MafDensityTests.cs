using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn.Fused;

/// <summary>
/// The fused MAF log-density at one observation (what MCMC's target evaluates) against the modules' log_prob on the
/// same rows: as close to the modules' float64 log-density as the modules' own float32 one is
/// (<see cref="FloatAgreement.Float32Only"/>, reduction length the hidden width).
/// </summary>
public class MafDensityTests : FusedKernelTestBase
{
    private static FlowEstimator Build(int d, int c, int hidden, int blocks, ZScoreMode zTheta) =>
        FusedKernelChecks.PerturbedMaf(31, d, c, hidden, blocks, zTheta);

    [TestCase(5, 3, 50, 2, ZScoreMode.Independent, 20)]
    [TestCase(1, 2, 16, 1, ZScoreMode.Structured, 1)]
    [TestCase(2, 4, 20, 0, ZScoreMode.None, 7)]
    [TestCase(3, 1, 12, 3, ZScoreMode.Independent, 300)]
    public void LogProbEqualsTheModules(int d, int c, int hidden, int blocks, ZScoreMode zTheta, int rows)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var net = Build(d, c, hidden, blocks, zTheta);
        var x = randn(1, c) * 3;
        var theta = randn(rows, d) * 2 + 1;
        var density = MafDensity.TryCreate(net, x, out var reason);
        Assert.That(density, Is.Not.Null, reason);
        var result = new float[rows];
        density!.LogProb(theta.contiguous().data<float>().ToArray(), rows, result);
        var expected = net.LogProb(theta.unsqueeze(1), x).squeeze(1);
        using var net64 = (FlowEstimator)Float64.Copy(net);
        var reference = net64.LogProb(theta.D().unsqueeze(1), x.D()).squeeze(1);
        var a = FloatAgreement.Float32Only(tensor(result), expected, reference, hidden);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
    }

    /// <summary>
    /// LogProbRows over several chunks (2.5 × <see cref="MafDensity.ChunkRows"/> rows): as accurate as the modules, and
    /// the same bits on 1 and 3 threads (each chunk's rows see the same chunk boundaries and aligned buffers).
    /// </summary>
    [Test]
    public void LogProbRowsInChunksIsAccurateAndTheSameOnAnyThreadCount()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        const int hidden = 50;
        var net = Build(5, 3, hidden, 2, ZScoreMode.Independent);
        var x = randn(1, 3) * 3;
        var theta = randn(MafDensity.ChunkRows * 5 / 2, 5) * 2 + 1;
        var density = MafDensity.TryCreate(net, x, out var reason);
        Assert.That(density, Is.Not.Null, reason);
        var one = density!.LogProbRows(theta, threads: 1);
        var three = density.LogProbRows(theta, threads: 3);
        Assert.That(three.data<float>().ToArray(), Is.EqualTo(one.data<float>().ToArray()), "1 vs 3 threads");
        var expected = net.LogProb(theta.unsqueeze(1), x).squeeze(1);
        using var net64 = (FlowEstimator)Float64.Copy(net);
        var reference = net64.LogProb(theta.D().unsqueeze(1), x.D()).squeeze(1);
        var a = FloatAgreement.Float32Only(one, expected, reference, hidden);
        TestContext.Out.WriteLine(a);
        Assert.That(a.Float32Accurate, a.ToString());
    }

    /// <summary>
    /// LogProbAndGradient: the value as LogProb's, and ∂ log q/∂θ as close to the float64 modules' autograd gradient as the
    /// float32 modules' autograd gradient is (reduction length the hidden width).
    /// </summary>
    [TestCase(5, 3, 50, 2, ZScoreMode.Independent, 20)]
    [TestCase(1, 2, 16, 1, ZScoreMode.Structured, 3)]
    [TestCase(2, 4, 20, 0, ZScoreMode.None, 7)]
    public void TheGradientEqualsAutogradOnTheModules(int d, int c, int hidden, int blocks, ZScoreMode zTheta, int rows)
    {
        using var scope = NewDisposeScope();
        var net = Build(d, c, hidden, blocks, zTheta);
        var x = randn(1, c) * 3;
        var theta = randn(rows, d) * 2 + 1;
        var density = MafDensity.TryCreate(net, x, out var reason);
        Assert.That(density, Is.Not.Null, reason);
        var value = new float[rows];
        var gradient = new float[rows * d];
        density!.LogProbAndGradient(theta.contiguous().data<float>().ToArray(), rows, value, gradient);
        var t32 = theta.clone().requires_grad_(true);
        var lp32 = net.LogProb(t32.unsqueeze(1), x).squeeze(1);
        var g32 = autograd.grad(new[] { lp32.sum() }, new[] { t32 })[0];
        using var net64 = (FlowEstimator)Float64.Copy(net);
        var t64 = theta.D().requires_grad_(true);
        var lp64 = net64.LogProb(t64.unsqueeze(1), x.D()).squeeze(1);
        var g64 = autograd.grad(new[] { lp64.sum() }, new[] { t64 })[0];
        var v = FloatAgreement.Float32Only(tensor(value), lp32.detach(), lp64.detach(), hidden);
        Assert.That(v.Float32Accurate, v.ToString());
        var g = FloatAgreement.Float32Only(tensor(gradient).reshape(rows, d), g32.detach(), g64.detach(), hidden);
        TestContext.Out.WriteLine(g);
        Assert.That(g.Float32Accurate, g.ToString());
    }

    [Test]
    public void OtherEstimatorsAndSeveralObservationsAreNotFused()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var nsf = PosteriorNn.Build("nsf")(randn(50, 2), randn(50, 3));
        Assert.That(MafDensity.TryCreate(nsf, randn(1, 3), out var reason), Is.Null);
        Assert.That(reason, Does.Contain("MAF layer"));
        var maf = Build(2, 3, 8, 1, ZScoreMode.Independent);
        Assert.That(MafDensity.TryCreate(maf, randn(2, 3), out reason), Is.Null);
        Assert.That(reason, Does.Contain("more than one"));
        Assert.That(MafDensity.TryCreate(new GaussianEstimator(2, 1), randn(1, 1), out reason), Is.Null);
    }
}
