using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Optim;

public class FlatAdamTests
{
    /// <summary>
    /// The flat-buffer Adam performs exactly PyTorch's elementwise arithmetic: without active clipping (5.0) the weights
    /// after six steps are bitwise equal. With active clipping (0.01) the clip factor comes from one float32 sum of all N
    /// squared gradients instead of PyTorch's sum of per-parameter norms, so the factors differ by the two reductions'
    /// rounding (2·√N·u relative, <see cref="Tolerances.Reduction"/>) plus the product's; one step is then compared entry
    /// by entry within <see cref="Tolerances.AdamFirstStep"/> of that gradient difference.
    /// </summary>
    [TestCase(5.0, 6)]
    [TestCase(0.01, 1)]
    public void MatchesTorchAdamWithClipping(double clip, int steps)
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
        const double lr = 1e-2;
        var flat = new FlatAdam(pa, lr);
        var torchAdam = optim.Adam(pb, lr);
        Tensor w0 = flat.Parameters.clone(), clipped = flat.Gradients.clone();
        for (int step = 0; step < steps; step++)
        {
            var tb = theta.narrow(0, step * 50, 50);
            var xb = x.narrow(0, step * 50, 50);
            w0 = flat.Parameters.clone();
            flat.ZeroGrad();
            a.Loss(tb, xb).mean().backward();
            flat.ClipGradNorm(clip);
            clipped = flat.Gradients.clone();
            flat.Step();
            torchAdam.zero_grad();
            b.Loss(tb, xb).mean().backward();
            nn.utils.clip_grad_norm_(pb, clip);
            torchAdam.step();
        }
        var wa = cat(pa.Select(p => p.reshape(-1)).ToList());
        var wb = cat(pb.Select(p => p.reshape(-1)).ToList());
        if (clip >= 1)
        {
            Assert.That(wa.eq(wb).all().item<bool>(), $"max |Δ| {(wa - wb).abs().max().item<float>()}");
            return;
        }
        double factorError = 2 * Tolerances.Reduction(clipped.numel(), 1) + Tolerances.U32;
        // AdamFirstStep holds one float32 update against its exact value; both sides here are float32 updates, so the
        // second side's roundings (u·(|w| + lr) + AdamStepRoundings·u·lr) are added.
        var bound = Tolerances.AdamFirstStep(clipped.D(), clipped.D().abs() * factorError, w0.D(), lr)
                  + Tolerances.U32 * (w0.D().abs() + lr) + Tolerances.AdamStepRoundings * Tolerances.U32 * lr;
        var ratio = ((wa.D() - wb.D()).abs() / bound).max().item<double>();
        Assert.That(ratio, Is.LessThanOrEqualTo(1.0), $"max |Δ| / bound after one clipped step");
    }
}
