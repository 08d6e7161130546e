using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Export;

/// <summary>
/// The interface every posterior package's two graphs declare, which <c>OnnxPosterior</c> feeds and reads
/// (see <see cref="IGraphExporter"/>): log_prob takes <c>theta</c> [N, D] and <c>x</c> [N, C] and returns <c>log_prob</c> [N];
/// sample takes <c>x</c> [B, C] and its random inputs and returns <c>theta</c> [B, S, D]. A registered family's exporter
/// declares its graphs with these so that its packages load like the built-in ones.
/// </summary>
public static class GraphInterface
{
    /// <summary>The element type of every graph tensor.</summary>
    public const TensorProto.Types.DataType F32 = TensorProto.Types.DataType.Float;

    /// <summary>The log-prob graph's inputs: theta [N, D], x [N, C].</summary>
    public static (string theta, string x, TensorSpec[] specs) LogProbInputs(OnnxGraphBuilder g, EstimatorModel m)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        var theta = g.Input("theta", F32, "N", (long)m.D);
        var x = g.Input("x", F32, "N", (long)m.C);
        return (theta, x, new[] { new TensorSpec("theta", "theta", new object[] { "N", m.D }), new TensorSpec("x", "x", new object[] { "N", m.C }) });
    }

    /// <summary>The log-prob graph's output: log_prob [N], the raw estimator density.</summary>
    public static TensorSpec LogProbOutput(OnnxGraphBuilder g, string lp)
    {
        ArgumentNullException.ThrowIfNull(g);
        g.Output(lp, "log_prob", F32, "N");
        return new TensorSpec("log_prob", "output", new object[] { "N" });
    }

    /// <summary>The sample graph's inputs x [B, C] and standard-normal noise [B, S, D] (the usual pair; add others as needed).</summary>
    public static (string x, string noise, TensorSpec[] specs) SampleInputs(OnnxGraphBuilder g, EstimatorModel m)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        var x = g.Input("x", F32, "B", (long)m.C);
        var noise = g.Input("noise", F32, "B", "S", (long)m.D);
        return (x, noise, new[] { new TensorSpec("x", "x", new object[] { "B", m.C }), new TensorSpec("noise", "standard_normal", new object[] { "B", "S", m.D }) });
    }

    /// <summary>The sample graph's output: theta [B, S, D].</summary>
    public static TensorSpec SampleOutput(OnnxGraphBuilder g, string theta, EstimatorModel m)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        g.Output(theta, "theta", F32, "B", "S", (long)m.D);
        return new TensorSpec("theta", "output", new object[] { "B", "S", m.D });
    }
}
