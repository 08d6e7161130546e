using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Optim;

public class FlatAdamTests
{
    /// <summary>The flat-buffer Adam + clipping performs exactly PyTorch's elementwise arithmetic: bitwise-equal weights after several steps.</summary>
    [TestCase(5.0)]
    [TestCase(0.01)]
    public void MatchesTorchAdamWithClipping(double clip)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var theta = randn(400, 3);
        var x = theta + 0.1 * randn_like(theta);
        manual_seed(4);
        var a = PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 16, NumTransforms = 2 })(theta, x);
        manual_seed(4);
        var b = PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 16, NumTransforms = 2 })(theta, x);
        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        var flat = new FlatAdam(pa, 1e-2);
        var torchAdam = optim.Adam(pb, 1e-2);
        for (int step = 0; step < 6; step++)
        {
            var tb = theta.narrow(0, step * 50, 50);
            var xb = x.narrow(0, step * 50, 50);
            flat.ZeroGrad();
            a.Loss(tb, xb).mean().backward();
            flat.ClipGradNorm(clip);
            flat.Step();
            torchAdam.zero_grad();
            b.Loss(tb, xb).mean().backward();
            nn.utils.clip_grad_norm_(pb, clip);
            torchAdam.step();
        }
        // Clipping: PyTorch sums per-parameter norms, the flat buffer sums once; both are float32 sums of the same squares,
        // so the clip factor may differ in the last ulp. Without active clipping the runs are bitwise equal.
        double tol = clip < 1 ? 1e-5 : 0.0;
        for (int i = 0; i < pa.Count; i++)
            Assert.That((pa[i] - pb[i]).abs().max().item<float>(), Is.LessThanOrEqualTo(tol), $"parameter {i}");
    }
}
