using NUnit.Framework;
using Sbi.Onnx.Runtime;

namespace Sbi.Onnx.Tests;

public class RandomFillTests
{
    [Test]
    public void NormalsHaveStandardMoments()
    {
        var v = new float[1_000_000];
        RandomFill.StandardNormal(new Random(5), v);
        double m = v.Average(f => (double)f);
        double var = v.Average(f => (f - m) * (f - m));
        double kurt = v.Average(f => Math.Pow(f - m, 4)) / (var * var);
        // Standard errors of n = 10⁶ normal draws: mean 1/√n, variance √(2/n), kurtosis √(24/n), a tail fraction √(p(1 − p)/n).
        double n = v.Length, z = Tolerances.MonteCarloZ;
        Assert.That(m, Is.EqualTo(0).Within(z / Math.Sqrt(n)));
        Assert.That(var, Is.EqualTo(1).Within(z * Math.Sqrt(2 / n)));
        Assert.That(kurt, Is.EqualTo(3).Within(z * Math.Sqrt(24 / n)));
        Assert.That(Tolerances.BinomialZ(v.Count(f => f > 1.959964f) / n, 0.025, n), Is.LessThanOrEqualTo(z));
    }

    [Test]
    public void UniformsStayInUnitInterval()
    {
        var v = new float[1_000_000];
        RandomFill.Uniform(new Random(6), v);
        Assert.That(v.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(v.Max(), Is.LessThan(1f));
        // The mean of n uniforms has standard error 1/√(12n).
        Assert.That(v.Average(f => (double)f), Is.EqualTo(0.5).Within(Tolerances.MonteCarloZ / Math.Sqrt(12.0 * v.Length)));
    }

    [Test]
    public void SeededRandomReproducesStream()
    {
        var a = new float[100];
        var b = new float[100];
        RandomFill.StandardNormal(new Random(7), a);
        RandomFill.StandardNormal(new Random(7), b);
        Assert.That(a, Is.EqualTo(b));
    }
}
