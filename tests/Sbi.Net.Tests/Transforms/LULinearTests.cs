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
        Assert.That((y - x).abs().max().item<float>(), Is.LessThan(1e-6));
        Assert.That(ld!.abs().max().item<float>(), Is.LessThan(1e-6));
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
        var weight = lower.matmul(upper).to(ScalarType.Float64);
        var x = randn(50, d);
        var (y, ld) = lu.Forward(x);
        var expected = x.to(ScalarType.Float64).matmul(weight.t()) + lu.state_dict()["bias"].to(ScalarType.Float64);
        Assert.That((y.to(ScalarType.Float64) - expected).abs().max().item<double>(), Is.LessThan(1e-5));
        var logdet = linalg.slogdet(weight).Item2.item<double>();
        Assert.That((double)ld![0].item<float>(), Is.EqualTo(logdet).Within(1e-5));
        var (back, ldInv) = lu.Inverse(y);
        Assert.That((back - x).abs().max().item<float>(), Is.LessThan(1e-4));
        Assert.That((ld + ldInv!).abs().max().item<float>(), Is.LessThan(1e-6));
    }
}
