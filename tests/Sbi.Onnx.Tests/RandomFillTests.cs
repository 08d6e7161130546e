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
        Assert.That(m, Is.EqualTo(0).Within(5 * 1e-3));
        Assert.That(var, Is.EqualTo(1).Within(5 * 1.5e-3));
        Assert.That(kurt, Is.EqualTo(3).Within(0.03));
        Assert.That(v.Count(f => f > 1.959964f) / 1e6, Is.EqualTo(0.025).Within(5 * 1.6e-4));
    }

    [Test]
    public void UniformsStayInUnitInterval()
    {
        var v = new float[1_000_000];
        RandomFill.Uniform(new Random(6), v);
        Assert.That(v.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(v.Max(), Is.LessThan(1f));
        Assert.That(v.Average(f => (double)f), Is.EqualTo(0.5).Within(5 * 2.9e-4));
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
