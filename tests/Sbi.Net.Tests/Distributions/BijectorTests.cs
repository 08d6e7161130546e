using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Tests.Distributions;

/// <summary>
/// The priors' θ transforms (sbi's <c>mcmc_transform</c>, sbi/utils/sbiutils.py): BoxUniform's logit map and the
/// z-scoring affine map of unbounded priors. Checked in float64, where the exact answers are known: the round trip is
/// the identity and log|det| is the log of the autograd Jacobian's diagonal.
/// </summary>
public class BijectorTests
{
    private static readonly double[] Low = { -2, 0, 1 }, High = { 2, 1, 5 };

    private static IEnumerable<TestCaseData> Priors()
    {
        yield return new TestCaseData("box").SetArgDisplayNames("BoxUniform");
        yield return new TestCaseData("gaussian").SetArgDisplayNames("MultivariateNormal");
    }

    private static IDistribution Prior(string kind) => kind == "box"
        ? new BoxUniform(tensor(Low).to(ScalarType.Float32), tensor(High).to(ScalarType.Float32))
        : new MultivariateNormal(tensor(new float[] { 1, -2, 0.5f }),
                                 tensor(new float[,] { { 4, 1, 0 }, { 1, 2, 0.3f }, { 0, 0.3f, 0.25f } }));

    /// <summary>
    /// θ → u → θ in float64. Box: s = (θ − l)/w, u = log s − log1p(−s), θ' = l + w·σ(u): eight operations, each within
    /// one ulp, on values whose absolute size is at most |l| + w·(1 + |u|) (|u| carries the amplification of log near
    /// the edges, damped again by σ'(u) = s(1 − s) ≤ 1); <see cref="Tolerances.Formula"/>(8, that, u64) per entry.
    /// Affine: two operations each way on |μ| + σ·(1 + |u|).
    /// </summary>
    [TestCaseSource(nameof(Priors))]
    public void RoundTripIsTheIdentity(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var prior = Prior(kind);
        var theta = prior.Sample(500).to(ScalarType.Float64);
        var t = prior.ThetaTransform;
        var u = t.Forward(theta);
        var back = t.Inverse(u);
        Assert.That(u.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(back.shape, Is.EqualTo(theta.shape));
        var (loc, width) = kind == "box"
            ? (tensor(Low).abs(), tensor(High) - tensor(Low))
            : (prior.Mean.to(ScalarType.Float64).abs(), prior.Stddev.to(ScalarType.Float64));
        var bound = (loc + width * (u.abs() + 1)) * Tolerances.Formula(kind == "box" ? 8 : 4, 1, Tolerances.U64);
        var excess = ((back - theta).abs() / bound).max().item<double>();
        Assert.That(excess, Is.LessThanOrEqualTo(1.0), $"largest round-trip error over its bound: {excess:G3}");
    }

    /// <summary>
    /// log|det ∂u/∂θ| against the autograd Jacobian: the maps are elementwise, so the Jacobian is diagonal (off-diagonal
    /// entries exactly 0) and log|det| = Σ log|J_ii|. Both sides evaluate about four float64 operations per entry on
    /// log-terms of size ≤ M = Σ|log J_ii|: <see cref="Tolerances.Formula"/>(4·D, M, u64).
    /// </summary>
    [TestCaseSource(nameof(Priors))]
    public void LogAbsDetJacobianIsTheLogOfTheJacobian(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var prior = Prior(kind);
        var t = prior.ThetaTransform;
        var theta = prior.Sample(20).to(ScalarType.Float64);
        var logdet = t.LogAbsDetJacobian(theta, t.Forward(theta));
        Assert.That(logdet.shape, Is.EqualTo(new long[] { 20 }));
        for (int i = 0; i < 20; i++)
        {
            var row = theta.narrow(0, i, 1).detach().requires_grad_(true);
            var u = t.Forward(row);
            var jac = stack(Enumerable.Range(0, 3).Select(a =>
                autograd.grad(new[] { u[0, a] }, new[] { row }, retain_graph: true)[0].reshape(3)).ToArray());   // ∂u_a/∂θ_b
            var off = jac - diag(jac.diagonal());
            Assert.That(off.abs().max().item<double>(), Is.EqualTo(0.0), "elementwise map: a diagonal Jacobian");
            var logs = jac.diagonal().abs().log();
            double expected = logs.sum().item<double>(), magnitude = logs.abs().sum().item<double>();
            Assert.That(logdet[i].item<double>(), Is.EqualTo(expected).Within(Tolerances.Formula(12, magnitude, Tolerances.U64)), $"row {i}");
        }
    }

    /// <summary>Far out in u the box transform maps back onto the support's closure, never outside.</summary>
    [Test]
    public void BoxInverseStaysInTheSupport()
    {
        using var scope = NewDisposeScope();
        var prior = (BoxUniform)Prior("box");
        var u = tensor(new float[,] { { -80, 0, 80 }, { 30, -30, 0 } });
        var theta = prior.ThetaTransform.Inverse(u);
        Assert.That((theta >= prior.Low).all().item<bool>() && (theta <= prior.High).all().item<bool>(), theta.ToString(TorchSharp.TensorStringStyle.Julia));
    }

    /// <summary>
    /// As torch's clipped sigmoid: u far enough out that sigmoid(u) rounds to 1 (or to 0) still maps strictly inside
    /// the [0, 1] box, where the prior's half-open log-density is finite (on the upper face it is −∞).
    /// </summary>
    [Test]
    public void BoxInverseOfALargeUStaysOffTheUpperFace()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(zeros(2), ones(2));
        var u = tensor(new float[,] { { 24, -120 }, { 80, 0 } });
        Assert.That(u.sigmoid()[0, 0].item<float>(), Is.EqualTo(1f), "the unclamped sigmoid rounds onto the face");
        var theta = prior.ThetaTransform.Inverse(u);
        Assert.That((theta < prior.High).all().item<bool>() && (theta > prior.Low).all().item<bool>(), theta.ToString(TorchSharp.TensorStringStyle.Julia));
        Assert.That(prior.LogProb(theta).isfinite().all().item<bool>());
    }

    [Test]
    public void AffineBijectorRejectsANonPositiveScale()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => new AffineBijector(zeros(2), tensor(new float[] { 1, 0 })));
        Assert.That(ex!.ParamName, Is.EqualTo("scale"));
    }
}
