using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.ExportParts;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Export;

/// <summary>
/// NSF (nflows PiecewiseRationalQuadraticCouplingTransform + LULinear; sbi/neural_nets/net_builders/flow.py, build_nsf). Coupling layers
/// gather identity/transform features with constant indices; the conditioner's context terms are
/// computed once per x row; the LU layer's inverse is a matrix precomputed (float64) at export time.
/// </summary>
internal sealed class NsfExporter : IGraphExporter
{
    private sealed record Lin(float[] W, float[] B, int Out, int In);

    private sealed record Coupling(long[] Identity, long[] Transform, Lin? Initial, (Lin L0, Lin L1, Lin Ctx)[] Blocks, Lin? Final, Lin[]? ContextMlp);

    private sealed record Lu(float[] Lower, float[] Upper, float[] Bias, float LogDet, float[] InverseT);

    /// <inheritdoc />
    public JsonObject DescribeZScore(EstimatorModel m) => ZScoreManifest.Flow(m);

    public JsonObject Describe(EstimatorModel m) => new()
    {
        ["hidden_features"] = m.HiddenFeatures, ["num_transforms"] = m.NumTransforms, ["num_blocks"] = m.NumBlocks,
        ["num_bins"] = m.NumBins, ["tail_bound"] = m.TailBound,
    };

    /// <inheritdoc />
    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        int off = m.ThetaZScored ? 1 : 0;
        var affine = ThetaAffine.Load(m, "net._transform._transforms.0.");
        var couplings = new Coupling[m.NumTransforms];
        var lus = new Lu?[m.NumTransforms];
        for (int i = 0; i < m.NumTransforms; i++)
        {
            int t = m.D == 1 ? off + i : off + 2 * i;
            couplings[i] = LoadCoupling(m, t);
            lus[i] = m.D == 1 ? null : LoadLu(m, t + 1);
        }

        var lp = new OnnxGraphBuilder("nsf_log_prob");
        var (theta, x, lpSpecs) = LogProbInputs(lp, m);
        var lpOut = LogProbOutput(lp, LogProb(lp, m, couplings, lus, affine, theta, x));

        var sg = new OnnxGraphBuilder("nsf_sample");
        var xs = sg.Input("x", F32, "B", (long)m.C);
        var noise = sg.Input("noise", F32, "B", "S", (long)m.D);
        var sOut = SampleOutput(sg, Sample(sg, m, couplings, lus, affine, xs, noise), m);
        var sSpecs = new[] { new TensorSpec("x", "x", new object[] { "B", m.C }), new TensorSpec("noise", "standard_normal", new object[] { "B", "S", m.D }) };
        return new ExportedGraphs(sg.ToBytes("sbi NSF posterior sampler"), sSpecs, sOut, lp.ToBytes("sbi NSF log-density"), lpSpecs, lpOut, new Dictionary<string, object>());
    }

    private static Coupling LoadCoupling(EstimatorModel m, int t)
    {
        string p = $"net._transform._transforms.{t}.";
        var id = m.I(p + "identity_features");
        var tf = m.I(p + "transform_features");
        int h = m.HiddenFeatures, np = tf.Length * (3 * m.NumBins - 1);
        Lin L(string key, int o, int i) => new(m.F(p + key + ".weight", o * i), m.F(p + key + ".bias", o), o, i);
        if (id.Length == 0)
        {
            // D = 1: sbi's ContextSplineMap, an MLP on the context only (Linear, ReLU, Linear, ReLU, Linear).
            var mlp = new List<Lin> { L("transform_net.spline_predictor.0", h, m.C) };
            int k = 2;
            while (m.Has($"{p}transform_net.spline_predictor.{k + 2}.weight")) { mlp.Add(L($"transform_net.spline_predictor.{k}", h, h)); k += 2; }
            mlp.Add(L($"transform_net.spline_predictor.{k}", np, h));
            return new Coupling(id, tf, null, Array.Empty<(Lin, Lin, Lin)>(), null, mlp.ToArray());
        }
        var blocks = Enumerable.Range(0, m.NumBlocks).Select(b => (
            L($"transform_net.blocks.{b}.linear_layers.0", h, h),
            L($"transform_net.blocks.{b}.linear_layers.1", h, h),
            L($"transform_net.blocks.{b}.context_layer", h, m.C))).ToArray();
        return new Coupling(id, tf, L("transform_net.initial_layer", h, id.Length + m.C), blocks, L("transform_net.final_layer", np, h), null);
    }

    private static Lu LoadLu(EstimatorModel m, int t)
    {
        string p = $"net._transform._transforms.{t}.";
        int d = m.D, nTri = d * (d - 1) / 2;
        var lowerE = m.F(p + "lower_entries", nTri);
        var upperE = m.F(p + "upper_entries", nTri);
        var diagU = m.F(p + "unconstrained_upper_diag", d);
        var lower = new float[d * d];
        var upper = new float[d * d];
        int li = 0, ui = 0;
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
            {
                if (c < r) lower[r * d + c] = lowerE[li++];       // np.tril_indices(k=-1): row-major
                else if (c == r) lower[r * d + c] = 1f;
                if (c > r) upper[r * d + c] = upperE[ui++];       // np.triu_indices(k=1): row-major
            }
        float logDet = 0;
        for (int r = 0; r < d; r++)
        {
            float diag = Softplus(diagU[r]) + (float)EstimatorConstants.LuEpsilon;
            upper[r * d + r] = diag;
            logDet += MathF.Log(diag);
        }
        return new Lu(lower, upper, m.F(p + "bias", d), logDet, InverseTransposed(lower, upper, d));
    }

    /// <summary>((L U)⁻¹)ᵀ in float64, rounded to float32: z = (y − b)·((LU)⁻¹)ᵀ.</summary>
    private static float[] InverseTransposed(float[] lower, float[] upper, int d)
    {
        var inv = new double[d * d];
        for (int col = 0; col < d; col++)
        {
            // Solve L U v = e_col: forward substitution (unit lower), then back substitution (upper).
            var w = new double[d];
            for (int r = 0; r < d; r++)
            {
                double s = r == col ? 1 : 0;
                for (int c = 0; c < r; c++) s -= lower[r * d + c] * w[c];
                w[r] = s;
            }
            var v = new double[d];
            for (int r = d - 1; r >= 0; r--)
            {
                double s = w[r];
                for (int c = r + 1; c < d; c++) s -= upper[r * d + c] * v[c];
                v[r] = s / upper[r * d + r];
            }
            for (int r = 0; r < d; r++) inv[r * d + col] = v[r];
        }
        var t = new float[d * d];
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) t[c * d + r] = (float)inv[r * d + c];
        return t;
    }

    /// <summary>Spline parameters [..., F·(3K−1)] from the identity features and the context.</summary>
    /// <param name="idPart">identity features [lead..., d_id]; null for D = 1.</param>
    /// <param name="c">standardised x [B, C]; <paramref name="perRow"/> lifts per-x terms to the lead shape.</param>
    private static string Conditioner(OnnxGraphBuilder g, Coupling cp, string? idPart, string c, Func<string, string> perRow)
    {
        if (cp.ContextMlp != null)
        {
            var h = c;
            for (int i = 0; i < cp.ContextMlp.Length; i++)
            {
                var l = cp.ContextMlp[i];
                h = g.Linear(h, l.W, l.Out, l.In, l.B, "spl");
                if (i < cp.ContextMlp.Length - 1) h = g.Relu(h);
            }
            return perRow(h);
        }
        var init = cp.Initial!;
        int dId = cp.Identity.Length, cDim = init.In - dId;
        // W_in [z_id ; c] = z_id W_idᵀ + c W_cᵀ: the context half is evaluated once per x row.
        var wId = new float[init.Out * dId];
        var wC = new float[init.Out * cDim];
        for (int o = 0; o < init.Out; o++)
        {
            Array.Copy(init.W, o * init.In, wId, o * dId, dId);
            Array.Copy(init.W, o * init.In + dId, wC, o * cDim, cDim);
        }
        var ctxTerm = perRow(g.Linear(c, wC, init.Out, cDim, init.B, "in_ctx"));
        var temps = g.Add(MatMulT(g, idPart!, wId, init.Out, dId, "in_id"), ctxTerm);
        foreach (var (l0, l1, cl) in cp.Blocks)
        {
            var t = g.Linear(g.Relu(temps), l0.W, l0.Out, l0.In, l0.B, "res0");
            t = g.Linear(g.Relu(t), l1.W, l1.Out, l1.In, l1.B, "res1");
            var gate = perRow(g.Sigmoid(g.Linear(c, cl.W, cl.Out, cl.In, cl.B, "glu")));   // F.glu(cat(t, ctx)) = t·σ(ctx)
            temps = g.Add(temps, g.Mul(t, gate));
        }
        var f = cp.Final!;
        return g.Linear(temps, f.W, f.Out, f.In, f.B, "final");
    }

    /// <summary>Re-assembles [identity; transformed] parts into feature order along the last axis.</summary>
    private static string Merge(OnnxGraphBuilder g, Coupling cp, string? idPart, string tfPart, int axis)
    {
        if (idPart == null) return tfPart;
        var order = cp.Identity.Concat(cp.Transform).ToArray();
        var inv = new long[order.Length];
        for (int i = 0; i < order.Length; i++) inv[order[i]] = i;
        return g.GatherConst(g.Concat(axis, idPart, tfPart), axis, inv);
    }

    private static string LogProb(OnnxGraphBuilder g, EstimatorModel m, Coupling[] cps, Lu?[] lus, ThetaAffine? affine, string theta, string x)
    {
        var c = EmbedX(g, x, m, "net._embedding_net.");
        var z = affine?.Forward(g, theta) ?? theta;
        float constLogDet = affine?.LogDet() ?? 0f;
        string? logdet = null;
        var spline = new RationalQuadraticSplineGraph(g, m.NumBins, m.TailBound, m.HiddenFeatures, leadRank: 1);
        for (int i = 0; i < cps.Length; i++)
        {
            var cp = cps[i];
            string? idPart = cp.Identity.Length == 0 ? null : g.GatherConst(z, 1, cp.Identity);
            var tfPart = cp.Identity.Length == 0 ? z : g.GatherConst(z, 1, cp.Transform);
            var parameters = Conditioner(g, cp, idPart, c, v => v);
            var (y, ld) = spline.Forward(tfPart, parameters, cp.Transform.Length);
            logdet = logdet == null ? ld : g.Add(logdet, ld);
            z = Merge(g, cp, idPart, y, 1);
            if (lus[i] is Lu lu)
            {
                // nflows: F.linear(F.linear(z, U), L, bias)
                z = g.Add(MatMulT(g, MatMulT(g, z, lu.Upper, m.D, m.D, "lu_u"), lu.Lower, m.D, m.D, "lu_l"), g.Vector(lu.Bias, "lu_b"));
                constLogDet += lu.LogDet;
            }
        }
        var baseLp = g.Sub(g.Mul(g.ReduceSum(g.Mul(z, z), 1, keepDims: false), g.Scalar(-0.5f)), g.Scalar(m.D * HalfLog2Pi));
        return g.Add(g.Add(baseLp, logdet!), g.Scalar(constLogDet));
    }

    private static string Sample(OnnxGraphBuilder g, EstimatorModel m, Coupling[] cps, Lu?[] lus, ThetaAffine? affine, string x, string noise)
    {
        var c = EmbedX(g, x, m, "net._embedding_net.");
        var spline = new RationalQuadraticSplineGraph(g, m.NumBins, m.TailBound, m.HiddenFeatures, leadRank: 2);
        var z = noise;                                                                         // [B, S, D]
        string perRow(string v) => g.Unsqueeze(v, 1);                                          // [B, H] → [B, 1, H]
        for (int i = cps.Length - 1; i >= 0; i--)
        {
            if (lus[i] is Lu lu)
                z = MatMulT(g, g.Sub(z, g.Vector(lu.Bias, "lu_b")), Transpose(lu.InverseT, m.D), m.D, m.D, "lu_inv");
            var cp = cps[i];
            if (cp.Identity.Length == 0)
            {
                // D = 1: parameters depend on x only; broadcast them over the S draws for GatherElements.
                var p = g.Expand(Conditioner(g, cp, null, c, perRow), g.Shape(z));
                z = spline.Inverse(z, p, 1);
                continue;
            }
            var idPart = g.GatherConst(z, 2, cp.Identity);
            var tfPart = g.GatherConst(z, 2, cp.Transform);
            var parameters = Conditioner(g, cp, idPart, c, perRow);
            z = Merge(g, cp, idPart, spline.Inverse(tfPart, parameters, cp.Transform.Length), 2);
        }
        return affine?.Inverse(g, z) ?? z;
    }

    private static float[] Transpose(float[] a, int d)
    {
        var t = new float[d * d];
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) t[c * d + r] = a[r * d + c];
        return t;
    }
}
