using Sbi.Onnx.Graph;

namespace Sbi.Onnx.Export;

/// <summary>Component choice from a uniform input, shared by the mdn and made samplers.</summary>
internal static class MixtureParts
{
    /// <summary>
    /// One-hot [..., K] float mask of the component drawn with probabilities softmax(logits): the chosen
    /// k is the number of cumulative probabilities ≤ u (u ~ U[0,1)), capped at K−1 against round-off
    /// in the last cumulative sum. Equivalent in distribution to torch.multinomial / Categorical.
    /// </summary>
    /// <param name="logits">[..., K] (broadcastable against <paramref name="uniform"/>).</param>
    /// <param name="uniform">[..., 1] (or [1, R] for the feature-major layout).</param>
    /// <param name="axis">Component axis: −1 (row-major, mdn) or 0 (feature-major [K, R], made).</param>
    public static string ChooseComponent(OnnxGraphBuilder g, string logits, string uniform, int k, long axis = -1)
    {
        var cdf = g.CumSum(Softmax(g, logits, axis), axis);
        var count = g.ReduceSum(g.CastInt64(g.LessOrEqual(cdf, uniform)), axis, keepDims: true);
        var idx = g.Min(count, g.ConstInt64(new[] { (long)k - 1 }, Array.Empty<long>(), "kmax"));
        var range = g.ConstInt64(Enumerable.Range(0, k).Select(i => (long)i).ToArray(), axis == 0 ? new long[] { k, 1 } : new long[] { k }, "krange");
        return g.CastFloat(g.Op("Equal", idx, range));
    }

    /// <summary>Σ_k onehot_k · v_k over the component axis (exact: the other terms are 0·v).</summary>
    public static string Select(OnnxGraphBuilder g, string oneHot, string values, long axis = -1) =>
        g.ReduceSum(g.Mul(oneHot, values), axis, keepDims: true);

    /// <summary>Softmax; along axis 0 spelled out (exp(l − max)/Σ) because ONNX Runtime transposes for a non-last axis.</summary>
    private static string Softmax(OnnxGraphBuilder g, string logits, long axis)
    {
        if (axis == -1) return g.Softmax(logits, -1);
        var e = g.Exp(g.Sub(logits, g.ReduceMax(logits, axis, keepDims: true)));
        return g.Div(e, g.ReduceSum(e, axis, keepDims: true));
    }
}
