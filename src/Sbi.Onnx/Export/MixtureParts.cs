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
    /// <param name="uniform">[..., 1].</param>
    public static string ChooseComponent(OnnxGraphBuilder g, string logits, string uniform, int k)
    {
        var cdf = g.CumSum(g.Softmax(logits, -1), -1);
        var count = g.ReduceSum(g.CastInt64(g.LessOrEqual(cdf, uniform)), -1, keepDims: true);
        var idx = g.Min(count, g.ConstInt64(new[] { (long)k - 1 }, Array.Empty<long>(), "kmax"));
        var range = g.ConstInt64(Enumerable.Range(0, k).Select(i => (long)i).ToArray(), new long[] { k }, "krange");
        return g.CastFloat(g.Op("Equal", idx, range));
    }

    /// <summary>Σ_k onehot_k · v_k over the last axis (exact: the other terms are 0·v).</summary>
    public static string Select(OnnxGraphBuilder g, string oneHot, string values) =>
        g.ReduceSum(g.Mul(oneHot, values), -1, keepDims: true);
}
