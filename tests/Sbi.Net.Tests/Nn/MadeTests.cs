using NUnit.Framework;
using Sbi.Nn;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn;

public class MadeTests
{
    /// <summary>Output 2i and 2i+1 (parameters of feature i) may depend on inputs j &lt; i only, and do on every such j.</summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void JacobianIsStrictlyLowerTriangularPerFeature(int d)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var made = new Made(d, 20, 3, 2, 2, tanh);
        var x = randn(5, d).requires_grad_(true);
        var c = randn(5, 3);
        var outputs = made.Forward(x, made.ContextTerm(c));
        for (int o = 0; o < 2 * d; o++)
        {
            var g = autograd.grad(new[] { outputs.select(1, o).sum() }, new[] { x }, retain_graph: true, allow_unused: true)[0];
            int feature = o / 2;
            for (int j = 0; j < d; j++)
            {
                double mag = g is null ? 0 : g.select(1, j).abs().sum().item<float>();
                if (j >= feature) Assert.That(mag, Is.EqualTo(0.0), $"output {o} (feature {feature}) depends on input {j}");
                else Assert.That(mag, Is.GreaterThan(0.0), $"output {o} (feature {feature}) ignores input {j}");
            }
        }
    }

    [Test]
    public void DegreesAndMasksFollowNflows()
    {
        using var scope = NewDisposeScope();
        // nflows' MADE degree rule (nflows/transforms/made.py) for D = 3, H = 50: hidden degrees 1,2,1,2,…; output degrees 1,1,2,2,3,3; output-mask row sums 0,0,25,25,50,50.
        var made = new Made(3, 50, 4, 2, 2, tanh);
        var layers = made.MaskedLayers.ToList();
        Assert.That(layers[0].Degrees.data<long>().Take(4).ToArray(), Is.EqualTo(new long[] { 1, 2, 1, 2 }));
        Assert.That(layers[^1].Degrees.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 1, 2, 2, 3, 3 }));
        Assert.That(layers[^1].Mask.sum(1).data<float>().ToArray(), Is.EqualTo(new float[] { 0, 0, 25, 25, 50, 50 }));
        // D = 1: every hidden degree is 0 and the input mask is all zero (the MAF is then a conditional Gaussian).
        var made1 = new Made(1, 10, 2, 2, 2, tanh);
        Assert.That(made1.MaskedLayers.First().Mask.sum().item<float>(), Is.EqualTo(0f));
    }
}
