using NUnit.Framework;
using Sbi.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Metrics;

/// <summary>
/// <see cref="MlpKernel"/> (plain buffers, MKL GEMMs) against <see cref="MlpClassifier"/>'s TorchSharp loop: the same
/// initial weights, batch order and loss. Its backward pass and Adam steps are checked end to end by SbibmC2stTests: on
/// the short trainings there the kernel's score equals scikit-learn's to the printed digit, which a wrong gradient
/// would not give; the second pass of scripts/test.sh (SBI_NET_FUSED=0) runs every C2ST test on the TorchSharp loop.
/// </summary>
public class MlpKernelTests
{
    private int _threads;
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    private static (Tensor X, Tensor Y) Data(int n, int d, ulong seed)
    {
        using var g = new Generator(seed);
        var x = randn(n, d, generator: g);
        var y = x.select(1, 0).add(randn(n, generator: g)).gt(Sbi.Utils.Scalars.Of(0)).to(ScalarType.Float32);
        return (x, y);
    }

    // 150 rows are one batch, and an epoch's loss is computed before that batch's update: the first epoch's loss is
    // the initial network's loss on the same rows, by both loops. It is a mean of 150 cross-entropies of order 1 plus
    // the L2 term: float32 sums of that length, λ√n·u apart at most (Tolerances.Reduction), doubled for the two loops.
    [Test]
    public void FirstEpochLossIsTheTorchSharpLoops()
    {
        if (MlpKernel.Reason is { } why) Assert.Ignore(why);
        using var scope = NewDisposeScope();
        var (x, y) = Data(150, 3, 11);
        using var kernel = new MlpClassifier([30, 30], seed: 3) { MaxIter = 1 };
        using var torchLoop = new MlpClassifier([30, 30], seed: 3) { MaxIter = 1, UseKernel = false };
        kernel.Fit(x, y);
        torchLoop.Fit(x, y);
        double a = kernel.LossCurve[0], b = torchLoop.LossCurve[0];
        TestContext.Out.WriteLine($"first-epoch loss: kernel {a:R}, TorchSharp {b:R}");
        Assert.That(a, Is.EqualTo(b).Within(2 * Tolerances.Reduction(150 * 31, b)));
    }
}
