using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NUnit.Framework;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Tests;

public class GraphBuilderTests
{
    [Test]
    public void TinyLinearTanhGraphRunsInOnnxRuntime()
    {
        var g = new OnnxGraphBuilder("tiny");
        var x = g.Input("x", TensorProto.Types.DataType.Float, "N", 2L);
        var w = new float[] { 1, 2, 3, 4, 5, 6 }; // (3 out, 2 in)
        var y = g.Tanh(g.Linear(x, w, 3, 2, new float[] { 0.1f, 0.2f, 0.3f }));
        g.Output(y, "y", TensorProto.Types.DataType.Float, "N", 3L);
        using var session = new InferenceSession(g.ToBytes("tiny"));
        var input = new DenseTensor<float>(new float[] { 0.1f, -0.2f, 0.3f, 0.05f }, new[] { 2, 2 });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("x", input) });
        var outv = results.First().AsEnumerable<float>().ToArray();
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 3; o++)
            {
                double pre = w[o * 2] * input[n, 0] + w[o * 2 + 1] * input[n, 1] + 0.1 * (o + 1);
                // Two products, two additions and tanh in float32 on values up to |pre|.
                Assert.That(outv[n * 3 + o], Is.EqualTo(Math.Tanh(pre)).Within(Tolerances.Formula(5, Math.Max(1, Math.Abs(pre)))));
            }
    }

    [Test]
    public void SoftplusMatchesFloat64OverWideRange()
    {
        var g = new OnnxGraphBuilder("sp");
        var x = g.Input("x", TensorProto.Types.DataType.Float, "N");
        g.Output(g.Softplus(x), "y", TensorProto.Types.DataType.Float, "N");
        using var session = new InferenceSession(g.ToBytes("sp"));
        var xs = Enumerable.Range(0, 121).Select(i => -40f + i * (80f / 120)).ToArray();
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(xs, new[] { xs.Length })) });
        var ys = results.First().AsEnumerable<float>().ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double v = xs[i];
            double expected = v > 0 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v));
            // max(x, 0) + log(1 + exp(−|x|)): exp, the addition, log and the sum round relative to the result, and the
            // rounding of 1 + exp(−|x|) (relative to 1) enters the log as an absolute u.
            Assert.That(ys[i], Is.EqualTo(expected).Within(Tolerances.Formula(4, expected) + Tolerances.Formula(1, 1)), $"softplus({v})");
        }
    }

    [Test]
    public void ZeroValuedIntAttributeIsWritten()
    {
        // proto3 drops zero scalars unless the field has explicit presence; ONNX Runtime needs has_i().
        var g = new OnnxGraphBuilder("cat");
        var a = g.Input("a", TensorProto.Types.DataType.Float, 1L, 2L);
        var b = g.Input("b", TensorProto.Types.DataType.Float, 1L, 2L);
        g.Output(g.Concat(0, a, b), "y", TensorProto.Types.DataType.Float, 2L, 2L);
        using var session = new InferenceSession(g.ToBytes("cat"));
        using var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(new float[] { 1, 2 }, new[] { 1, 2 })),
            NamedOnnxValue.CreateFromTensor("b", new DenseTensor<float>(new float[] { 3, 4 }, new[] { 1, 2 })),
        });
        Assert.That(results.First().AsEnumerable<float>().ToArray(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
    }
}
