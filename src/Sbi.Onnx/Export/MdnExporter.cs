using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.ExportParts;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Export;

/// <summary>
/// sbi's MultivariateGaussianMDN (sbi/neural_nets/estimators/mixture_density_estimator.py). log_prob: logsumexp over components of
/// log w_k + log N(z; μ_k, (AᵀA + 1e-4 I)⁻¹) with the normaliser Σ log diag A (as sbi). sample: component
/// from a uniform input, z = μ_k + A_k⁻¹ ε by back-substitution unrolled in the graph (A depends on x),
/// θ = z·σ + μ.
/// </summary>
internal sealed class MdnExporter : IGraphExporter
{
    private const float PrecisionEps = (float)EstimatorConstants.MdnEpsilon;

    private sealed record Nets(int K, int D, int P, int H, int C,
        (float[] W, float[] B) L0, (float[] W, float[] B) L2, (float[] W, float[] B) Logits, (float[] W, float[] B) Means,
        (float[] W, float[] B) Diag, (float[] W, float[] B)? Upper, float[]? Shift, float[]? Scale);

    /// <inheritdoc />
    public JsonObject DescribeZScore(EstimatorModel m) => ZScoreManifest.Mdn(m);

    public JsonObject Describe(EstimatorModel m) => new() { ["hidden_features"] = m.HiddenFeatures, ["num_components"] = m.NumComponents };

    /// <inheritdoc />
    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        var n = Load(m);
        var lp = new OnnxGraphBuilder("mdn_log_prob");
        var (theta, x, lpSpecs) = LogProbInputs(lp, m);
        var lpOut = LogProbOutput(lp, LogProb(lp, m, n, theta, x));

        var sg = new OnnxGraphBuilder("mdn_sample");
        var xs = sg.Input("x", F32, "B", (long)m.C);
        var noise = sg.Input("noise", F32, "B", "S", (long)m.D);
        var uniform = sg.Input("uniform", F32, "B", "S", 1L);
        var sOut = SampleOutput(sg, Sample(sg, m, n, xs, noise, uniform), m);
        var sSpecs = new[]
        {
            new TensorSpec("x", "x", new object[] { "B", m.C }),
            new TensorSpec("noise", "standard_normal", new object[] { "B", "S", m.D }),
            new TensorSpec("uniform", "uniform", new object[] { "B", "S", 1 }),
        };
        return new ExportedGraphs(sg.ToBytes("sbi MDN posterior sampler"), sSpecs, sOut, lp.ToBytes("sbi MDN log-density"), lpSpecs, lpOut, new Dictionary<string, object>());
    }

    private static Nets Load(EstimatorModel m)
    {
        int k = m.NumComponents, d = m.D, h = m.HiddenFeatures, p = d * (d - 1) / 2;
        (float[], float[]) L(string name, int o, int i) => (m.F($"net.{name}.weight", o * i), m.F($"net.{name}.bias", o));
        bool z = m.ThetaZScored && m.Has("_transform_shift");
        return new Nets(k, d, p, h, m.C, L("_hidden_net.0", h, m.C), L("_hidden_net.2", h, h), L("_logits_layer", k, h), L("_means_layer", k * d, h),
            L("_unconstrained_diagonal_layer", k * d, h), d > 1 ? L("_upper_layer", k * p, h) : null,
            z ? m.PerFeature("_transform_shift", d) : null, z ? m.PerFeature("_transform_scale", d) : null);
    }

    /// <summary>Mixture parameters for rows of c: logits [.., K], μ [.., K, D], diag A [.., K, D], upper A [.., K, P].</summary>
    private static (string logits, string mu, string diag, string? upper) Mixture(OnnxGraphBuilder g, Nets n, string c)
    {
        var h = g.Relu(g.Linear(c, n.L0.W, n.H, n.C, n.L0.B, "hid0"));
        h = g.Relu(g.Linear(h, n.L2.W, n.H, n.H, n.L2.B, "hid2"));
        var logits = g.Linear(h, n.Logits.W, n.K, n.H, n.Logits.B, "logits");
        var mu = g.Reshape(g.Linear(h, n.Means.W, n.K * n.D, n.H, n.Means.B, "means"), 0, n.K, n.D);
        var diag = g.Softplus(g.Reshape(g.Linear(h, n.Diag.W, n.K * n.D, n.H, n.Diag.B, "diag"), 0, n.K, n.D));
        string? upper = n.Upper is { } u ? g.Reshape(g.Linear(h, u.W, n.K * n.P, n.H, u.B, "upper"), 0, n.K, n.P) : null;
        return (logits, mu, diag, upper);
    }

    /// <summary>Row/column of the p-th strictly-upper entry in row-major order (torch.triu_indices(offset=1)).</summary>
    private static (int r, int c)[] UpperIndex(int d)
    {
        var list = new List<(int, int)>();
        for (int r = 0; r < d; r++)
            for (int c = r + 1; c < d; c++) list.Add((r, c));
        return list.ToArray();
    }

    private static string LogProb(OnnxGraphBuilder g, EstimatorModel m, Nets n, string theta, string x)
    {
        var c = EmbedX(g, x, m, "_embedding_net.");
        var (logits, mu, diag, upper) = Mixture(g, n, c);
        var z = n.Shift != null ? g.Div(g.Sub(theta, g.Vector(n.Shift, "theta_mean")), g.Vector(n.Scale!, "theta_std")) : theta;
        var delta = g.Sub(g.Unsqueeze(z, 1), mu);                                                   // [N, K, D]
        // A δ: diagonal part plus Σ_{j>i} A_ij δ_j, gathered per upper entry and summed into rows by a 0/1 matrix.
        var aDelta = g.Mul(diag, delta);
        if (upper != null)
        {
            var idx = UpperIndex(n.D);
            var prod = g.Mul(upper, g.GatherConst(delta, 2, idx.Select(t => (long)t.c).ToArray()));  // [N, K, P]
            var rowSum = new float[n.P * n.D];
            for (int p = 0; p < n.P; p++) rowSum[p * n.D + idx[p].r] = 1f;
            aDelta = g.Add(aDelta, g.MatMul(prod, g.Const(rowSum, new long[] { n.P, n.D }, "upper_rows")));
        }
        // δᵀ(AᵀA + εI)δ = |Aδ|² + ε|δ|²
        var quad = g.Add(g.ReduceSum(g.Mul(aDelta, aDelta), 2, keepDims: false),
                         g.Mul(g.Scalar(PrecisionEps), g.ReduceSum(g.Mul(delta, delta), 2, keepDims: false)));
        var logNorm = g.Sub(g.ReduceSum(g.Log(diag), 2, keepDims: false), g.Scalar(n.D * HalfLog2Pi));
        var comp = g.Add(g.LogSoftmax(logits, 1), g.Sub(logNorm, g.Mul(g.Scalar(0.5f), quad)));    // [N, K]
        var lp = g.LogSumExp(comp, 1);
        if (n.Scale == null) return lp;
        float logScale = 0;
        foreach (var s in n.Scale) logScale += MathF.Log(s);
        return g.Sub(lp, g.Scalar(logScale));
    }

    private static string Sample(OnnxGraphBuilder g, EstimatorModel m, Nets n, string x, string noise, string uniform)
    {
        var c = EmbedX(g, x, m, "_embedding_net.");
        var (logits, mu, diag, upper) = Mixture(g, n, c);
        var oneHot = MixtureParts.ChooseComponent(g, g.Unsqueeze(logits, 1), uniform, n.K);          // [B, S, K]
        // Batched one-hot matmuls pick the chosen component's parameters for every draw.
        var muSel = g.MatMul(oneHot, mu);                                                            // [B, S, D]
        var diagSel = g.MatMul(oneHot, diag);
        var upperSel = upper != null ? g.MatMul(oneHot, upper) : null;                               // [B, S, P]
        var idx = UpperIndex(n.D);
        var w = new string[n.D];
        for (int i = n.D - 1; i >= 0; i--)
        {
            // Back-substitution of A w = ε (A upper triangular): w_i = (ε_i − Σ_{j>i} A_ij w_j) / A_ii.
            var acc = g.Slice(noise, 2, i, i + 1);
            for (int j = i + 1; j < n.D; j++)
            {
                int p = Array.IndexOf(idx, (i, j));
                acc = g.Sub(acc, g.Mul(g.Slice(upperSel!, 2, p, p + 1), w[j]));
            }
            w[i] = g.Div(acc, g.Slice(diagSel, 2, i, i + 1));
        }
        var z = g.Add(muSel, n.D == 1 ? w[0] : g.Concat(2, w));
        return n.Shift != null ? g.Add(g.Mul(z, g.Vector(n.Scale!, "theta_std")), g.Vector(n.Shift, "theta_mean")) : z;
    }
}
