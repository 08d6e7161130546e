using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Samplers.Vi;
using static TorchSharp.torch;

namespace Sbi.Tests.Samplers.Vi;

/// <summary>The Gaussian variational families (sbi's <c>LearnableGaussian</c>) and q's change of variables into θ.</summary>
public class GaussianQTests
{
    /// <summary>
    /// log q(z | x) of "gaussian" and "gaussian_diag" against the closed form evaluated in float64 from the same float32
    /// parameters (mean loc + W·x, factor L): a float32 evaluation of about 3D + 10 roundings of magnitude ≤ |log q| + the
    /// quadratic term: <see cref="Tolerances.Formula"/>(3D + 10, ·). The reparameterised samples' own log-densities agree
    /// with LogProbPaired at them to the same bound.
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public void LogDensitiesAreTheClosedForm(bool full)
    {
        using var scope = NewDisposeScope();
        manual_seed(41);
        const int d = 3;
        var config = new EstimatorConfig { Estimator = full ? GaussianQFamily.FullName : GaussianQFamily.DiagonalName, D = d, C = 2, XShape = [2], ZScoreX = ZScoreMode.None };
        var q = new GaussianQ(config, nn.Identity());
        using (no_grad())
            foreach (var p in q.parameters()) p.add_(0.3 * randn_like(p));
        var x = randn(50, 2);
        var z = randn(50, d);
        Tensor lp;
        using (no_grad()) lp = q.LogProbPaired(z, x);
        var l = q.ScaleTril().detach().to(ScalarType.Float64);
        var mean = q.MeanOf(x).detach().to(ScalarType.Float64);
        var white = linalg.solve_triangular(l, (z.to(ScalarType.Float64) - mean).t(), upper: false).t();
        var exact = -0.5 * white.pow(2).sum(-1) - l.diagonal().abs().log().sum() - 0.5 * d * Math.Log(2 * Math.PI);
        double scale = exact.abs().max().item<double>();
        Assert.That(Diff.MaxAbs(lp, exact), Is.LessThanOrEqualTo(Tolerances.Formula(3 * d + 10, scale)));

        Tensor s, slp, again;
        using (no_grad())
        {
            (s, slp) = q.SampleAndLogProb(40, x.narrow(0, 0, 5));
            again = q.LogProbPaired(s.reshape(-1, d), x.narrow(0, 0, 5).repeat(40, 1)).view(40, 5);
        }
        Assert.That(s.shape, Is.EqualTo(new long[] { 40, 5, d }));
        Assert.That(Diff.MaxAbs(slp, again), Is.LessThanOrEqualTo(Tolerances.Formula(2 * (3 * d + 10), slp.abs().max().item<float>())));
    }

    /// <summary>
    /// q in θ for a box prior: samples lie in the box, and the log-density that RSampleAndLogProb returns with them equals
    /// LogProb recomputed from θ (z = T(θ) again), where both are finite. The round trip T(T⁻¹(z)) moves z by at most
    /// 4u/(s(1 − s)) (s = sigmoid(z), rounding of the sigmoid, the affine map and the logit), so for rows with s in
    /// [0.01, 0.99] each coordinate moves by ≤ 4u/0.0099, and the densities by that times their gradient ≤ |z| + 1 per
    /// coordinate (q is N(0, I) in z, and the Jacobian's derivative is bounded by 1), plus their own rounding.
    /// </summary>
    [Test]
    public void TheSampledDensityIsTheDensityOfTheSample()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var prior = new BoxUniform(tensor(new float[] { -1, 0 }), tensor(new float[] { 3, 0.5f }));
        var config = new EstimatorConfig { Estimator = GaussianQFamily.DiagonalName, D = 2, C = 1, XShape = [1], ZScoreX = ZScoreMode.None };
        var vq = new VariationalDistribution(new GaussianQ(config, nn.Identity()), prior.ThetaTransform);
        Tensor theta, z, lp, again;
        var x = zeros(1, 1);
        using (no_grad())
        {
            (theta, z, lp) = vq.RSampleAndLogProb(20_000, x);
            theta = theta.reshape(-1, 2); z = z.reshape(-1, 2); lp = lp.reshape(-1);
            again = vq.LogProb(theta, x);
        }
        Assert.That(prior.WithinSupport(theta).all().item<bool>());
        var s = z.sigmoid();
        var keep = s.gt(0.01).logical_and(s.lt(0.99)).all(-1);
        Assert.That(keep.sum().item<long>(), Is.GreaterThan(18_000), "most rows are away from the faces");
        double shift = 4 * Tolerances.U32 / 0.0099;
        double bound = (z.index(keep).abs().max().item<float>() + 1) * 2 * shift + Tolerances.Formula(30, lp.index(keep).abs().max().item<float>());
        Assert.That(Diff.MaxAbs(lp.index(keep), again.index(keep)), Is.LessThanOrEqualTo(bound));
    }
}
