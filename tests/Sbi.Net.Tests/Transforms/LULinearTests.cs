using TorchSharp;
using NUnit.Framework;
using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Tests.Transforms;

public class LULinearTests
{
    private static LULinear Random(int d, int seed)
    {
        manual_seed(seed);
        var lu = new LULinear(d);
        using (no_grad())
            foreach (var p in lu.parameters()) p.add_(randn_like(p) * 0.5);
        return lu;
    }

    [Test]
    public void IdentityAtInitialisation()
    {
        using var scope = NewDisposeScope();
        var lu = new LULinear(4);
        var x = randn(10, 4);
        var (y, ld) = lu.Forward(x);
        // The diagonal is nflows' identity constant (1 to its rounding); L and U are otherwise zero: y = diag·x, one
        // more rounding; log|det| = Σ log(diag), four terms of at most that size.
        double diag = Tolerances.IdentityConstantRoundings * Tolerances.U32;
        Assert.That((y - x).abs().max().item<float>(), Is.LessThanOrEqualTo((diag + Tolerances.U32) * x.abs().max().item<float>()));
        Assert.That(ld!.abs().max().item<float>(), Is.LessThanOrEqualTo(4 * (diag + Tolerances.U32)));
        Assert.That(lu.state_dict().Keys, Is.EquivalentTo(new[] { "bias", "lower_entries", "upper_entries", "unconstrained_upper_diag" }));
    }

    /// <summary>y = L U x + b with nflows' row-major triangle filling; log|det| = log|det(LU)|; the inverse undoes it.</summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(5)]
    public void ForwardInverseAndLogDetMatchTheMatrix(int d)
    {
        using var scope = NewDisposeScope();
        var lu = Random(d, d);
        using var _ = no_grad();
        var (lower, upper) = lu.LowerUpper();
        // Row-major filling: lower[1, 0] is lower_entries[0]; upper[0, 1] is upper_entries[0].
        if (d > 1)
        {
            var sd = lu.state_dict();
            Assert.That(lower[1, 0].item<float>(), Is.EqualTo(sd["lower_entries"][0].item<float>()));
            Assert.That(upper[0, 1].item<float>(), Is.EqualTo(sd["upper_entries"][0].item<float>()));
            Assert.That(lower.triu(1).abs().sum().item<float>(), Is.EqualTo(0f));
            Assert.That(upper.tril(-1).abs().sum().item<float>(), Is.EqualTo(0f));
        }
        // Reference: the dense matrix W = L·U applied by plain matmul, in float32 and float64; LULinear applies U then L.
        var bias = lu.state_dict()["bias"];
        var weight32 = lower.matmul(upper);
        var weight = weight32.D();
        var x = randn(50, d);
        var (y, ld) = lu.Forward(x);
        var forward = FloatAgreement.Float32Only(y, x.matmul(weight32.t()) + bias, x.D().matmul(weight.t()) + bias.D(), d);
        Assert.That(forward.Float32Accurate, "forward: " + forward);
        var logdet = FloatAgreement.Float32Only(ld![0], linalg.slogdet(weight32).Item2, linalg.slogdet(weight).Item2, d);
        Assert.That(logdet.Float32Accurate, "log|det|: " + logdet);
        // The inverse undoes the forward map to the float32 error the same round trip has in float64, scaled up.
        var (back, ldInv) = lu.Inverse(y);
        using var lu64 = new LULinear(d);
        lu64.to(ScalarType.Float64);
        Sbi.Estimators.StateDictLoader.Load(lu64, lu.state_dict());
        double e64 = RoundingRealisations.MaxError(k =>
        {
            var xk = RoundingRealisations.Perturb(x.D(), k);
            return (lu64.Inverse(lu64.Forward(xk).Outputs).Outputs - xk).abs().max().item<double>();
        });
        Assert.That((back - x).abs().max().item<float>(), Is.LessThanOrEqualTo(Tolerances.Float32FromFloat64(e64, d, y.abs().max().item<float>())));
        // Both log-determinants are the same sum of logs, negated: they cancel exactly.
        Assert.That((ld + ldInv!).abs().max().item<float>(), Is.EqualTo(0f));
    }
}
