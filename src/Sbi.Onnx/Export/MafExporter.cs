using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.ExportParts;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Export;

/// <summary>
/// MAF (nflows MaskedAffineAutoregressiveTransform + RandomPermutation, sbi's default estimator; sbi/neural_nets/net_builders/flow.py, build_maf).
/// log_prob: one masked forward pass per MADE. sample: the D autoregressive passes of each MADE inverse
/// are unrolled (no ONNX Loop) with masks folded into the weights; with pruning each hidden unit is
/// evaluated once, in the pass where its degree first becomes needed (see <see cref="MadeLayout"/>).
/// </summary>
internal sealed class MafExporter : IGraphExporter
{
    private const float ScaleEpsilon = (float)EstimatorConstants.MafMinScale;

    private sealed record Layer(float[] W, float[] Mask, float[] Bias);

    private sealed record Made(Layer Initial, float[] Wc, float[] Bc, Layer[] Blocks, Layer Final, MadeLayout Layout, long[] Permutation);

    /// <inheritdoc />
    public JsonObject DescribeZScore(EstimatorModel m) => ZScoreManifest.Flow(m);

    public JsonObject Describe(EstimatorModel m) => new()
    {
        ["hidden_features"] = m.HiddenFeatures, ["num_transforms"] = m.NumTransforms, ["num_blocks"] = m.NumBlocks,
    };

    /// <inheritdoc />
    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        int off = m.ThetaZScored ? 1 : 0;
        var affine = ThetaAffine.Load(m, "net._transform._transforms.0.");
        var mades = Enumerable.Range(0, m.NumTransforms).Select(k => LoadMade(m, off + 2 * k)).ToArray();

        var lp = new OnnxGraphBuilder("maf_log_prob");
        var (theta, x, lpSpecs) = LogProbInputs(lp, m);
        var lpOut = LogProbOutput(lp, LogProb(lp, m, mades, affine, theta, x));

        var sg = new OnnxGraphBuilder("maf_sample");
        var xs = sg.Input("x", F32, "B", (long)m.C);
        var noise = sg.Input("noise", F32, "B", "S", (long)m.D);
        var sOut = SampleOutput(sg, Sample(sg, m, mades, affine, xs, noise, options.PruneAutoregressivePasses), m);
        var sSpecs = new[] { new TensorSpec("x", "x", new object[] { "B", m.C }), new TensorSpec("noise", "standard_normal", new object[] { "B", "S", m.D }) };

        var notes = new Dictionary<string, object>
        {
            ["sample_flops_per_draw"] = SampleFlops(m, mades, options.PruneAutoregressivePasses),
            ["sample_flops_per_draw_unpruned"] = SampleFlops(m, mades, false),
            ["pruned"] = options.PruneAutoregressivePasses,
        };
        return new ExportedGraphs(sg.ToBytes("sbi MAF posterior sampler"), sSpecs, sOut, lp.ToBytes("sbi MAF log-density"), lpSpecs, lpOut, notes);
    }

    private static Made LoadMade(EstimatorModel m, int t)
    {
        string p = $"net._transform._transforms.{t}.autoregressive_net.";
        int d = m.D, h = m.HiddenFeatures;
        Layer L(string name, int rows, int cols) => new(m.F(p + name + ".weight", rows * cols), m.F(p + name + ".mask", rows * cols), m.F(p + name + ".bias", rows));
        var deg = m.Has(p + "initial_layer.degrees") ? m.I(p + "initial_layer.degrees") : MadeDegrees.Hidden(h, d);
        var layout = new MadeLayout(d, deg, 2);
        var initial = L("initial_layer", h, d);
        layout.CheckInputMask(initial.Mask, p + "initial_layer.mask");
        var blocks = new Layer[m.NumBlocks];
        for (int b = 0; b < blocks.Length; b++)
        {
            blocks[b] = L($"blocks.{b}.linear", h, h);
            layout.CheckHiddenMask(blocks[b].Mask, p + $"blocks.{b}.linear.mask");
        }
        var final = L("final_layer", 2 * d, h);
        layout.CheckOutputMask(final.Mask, p + "final_layer.mask");
        var perm = m.I($"net._transform._transforms.{t + 1}._permutation");
        if (perm.Length != d || perm.OrderBy(v => v).Select((v, i) => v == i).Any(ok => !ok))
            throw new ArgumentException($"'net._transform._transforms.{t + 1}._permutation' is not a permutation of 0..{d - 1}.");
        return new Made(initial, m.F(p + "context_layer.weight", h * m.C), m.F(p + "context_layer.bias", h), blocks, final, layout, perm);
    }

    // ---------------------------------------------------------------- log_prob (forward direction)

    /// <summary>One masked forward pass per MADE, in the feature-major layout [features, N] (see <see cref="FeatureMajor"/>).</summary>
    private static string LogProb(OnnxGraphBuilder g, EstimatorModel m, Made[] mades, ThetaAffine? affine, string theta, string x)
    {
        var (z, logdet) = Forward(g, m, mades, affine, theta, x);
        var baseLp = g.Sub(g.Mul(g.ReduceSum(g.Mul(z, z), 0, keepDims: false), g.Scalar(-0.5f)), g.Scalar(m.D * HalfLog2Pi));
        var lp = g.Add(baseLp, logdet);
        return affine == null ? lp : g.Add(lp, g.Scalar(affine.LogDet()));
    }

    /// <summary>
    /// The flow's forward map θ [N, D] → noise, rows [N, D], and Σ log scale of its MADE layers [N] (the θ z-scoring's
    /// constant log-determinant not included): a variational posterior's MAF used as an inverse autoregressive flow
    /// samples with it (noise in, z out; <see cref="VariationalExporter"/>).
    /// </summary>
    internal static (string Outputs, string LogDet) ForwardRows(OnnxGraphBuilder g, EstimatorModel m, string theta, string x)
    {
        int off = m.ThetaZScored ? 1 : 0;
        var affine = ThetaAffine.Load(m, "net._transform._transforms.0.");
        var mades = Enumerable.Range(0, m.NumTransforms).Select(k => LoadMade(m, off + 2 * k)).ToArray();
        var (z, logdet) = Forward(g, m, mades, affine, theta, x);
        return (g.Transpose(z, 1, 0), logdet);
    }

    /// <summary>θ [N, D] through the θ z-scoring and the MADE layers: the noise feature-major [D, N] and Σ log scale [N].</summary>
    private static (string Z, string LogDet) Forward(OnnxGraphBuilder g, EstimatorModel m, Made[] mades, ThetaAffine? affine, string theta, string x)
    {
        int d = m.D, h = m.HiddenFeatures;
        var cT = g.Transpose(EmbedX(g, x, m, "net._embedding_net."), 1, 0);                     // [C, N]
        var z = g.Transpose(affine?.Forward(g, theta) ?? theta, 1, 0);                            // [D, N]
        string? logdet = null;
        var allH = Enumerable.Range(0, h).ToArray();
        // Final-layer rows re-ordered to [all scale rows; all shift rows] so two slices separate them.
        var rowsScaleThenShift = Enumerable.Range(0, d).Select(i => 2 * i).Concat(Enumerable.Range(0, d).Select(i => 2 * i + 1)).ToArray();
        string Lin(float[] w, int rows, int cols, string v, float[] b, string hint) =>
            g.Add(g.MatMul(g.Const(w, new long[] { rows, cols }, hint), v), g.Const(b, new long[] { rows, 1 }, hint + "_b"));
        foreach (var made in mades)
        {
            var ctx = g.Tanh(Lin(made.Wc, h, m.C, cT, made.Bc, "ctx"));
            var hid = g.Tanh(g.Add(Lin(Masked(made.Initial.W, made.Initial.Mask), h, d, z, made.Initial.Bias, "l0"), ctx));
            foreach (var b in made.Blocks)
                hid = g.Tanh(Lin(Masked(b.W, b.Mask), h, h, hid, b.Bias, "blk"));
            var wf = MadeLayout.Block(made.Final.W, made.Final.Mask, h, rowsScaleThenShift, allH);
            var outp = Lin(wf, 2 * d, h, hid, Pick(made.Final.Bias, rowsScaleThenShift), "final");
            var scale = g.Add(g.Softplus(g.Slice(outp, 0, 0, d)), g.Scalar(ScaleEpsilon));
            var shift = g.Slice(outp, 0, d, 2 * d);
            z = g.Add(g.Mul(scale, z), shift);
            var ld = g.ReduceSum(g.Log(scale), 0, keepDims: false);
            logdet = logdet == null ? ld : g.Add(logdet, ld);
            z = g.GatherConst(z, 0, made.Permutation);
        }
        return (z, logdet!);
    }

    // ---------------------------------------------------------------- sample (inverse direction)

    private static string Sample(OnnxGraphBuilder g, EstimatorModel m, Made[] mades, ThetaAffine? affine, string x, string noise, bool prune)
    {
        int d = m.D;
        var fm = new FeatureMajor(g, noise, d);
        var cT = g.Transpose(EmbedX(g, x, m, "net._embedding_net."), 1, 0);                     // [C, B]
        var noiseT = fm.Rows(noise, d);                                                           // [D, R]
        var cols = Enumerable.Range(0, d).Select(i => g.Slice(noiseT, 0, i, i + 1)).ToArray();  // [1, R] each
        for (int k = mades.Length - 1; k >= 0; k--)
        {
            // Inverse permutation is a relabelling of the row tensors: z[perm[j]] = y[j].
            var z = new string[d];
            for (int j = 0; j < d; j++) z[mades[k].Permutation[j]] = cols[j];
            cols = prune ? InversePruned(g, fm, m, mades[k], z, cT) : InverseFull(g, fm, m, mades[k], z, cT);
        }
        var y = d == 1 ? cols[0] : g.Concat(0, cols);                                             // [D, R]
        if (affine != null)
            y = g.Div(g.Sub(y, fm.Column(affine.Shift, "theta_shift")), fm.Column(affine.Scale, "theta_scale"));
        return fm.ToOutput(y, d);
    }

    /// <summary>Per-x context term tanh(Wc c + bc) + b0 (initial-layer bias folded in) for the given hidden units: [n, B].</summary>
    private static string ContextTerm(OnnxGraphBuilder g, FeatureMajor fm, EstimatorModel m, Made made, int[] units, string cT)
    {
        var wc = MadeLayout.Block(made.Wc, Enumerable.Repeat(1f, made.Wc.Length).ToArray(), m.C, units, Enumerable.Range(0, m.C).ToArray());
        var ctx = g.Tanh(g.Add(fm.MatMul(wc, units.Length, m.C, cT, "ctx"), fm.Column(Pick(made.Bc, units), "ctx_b")));
        return g.Add(ctx, fm.Column(Pick(made.Initial.Bias, units), "l0_b"));
    }

    private static string[] InversePruned(OnnxGraphBuilder g, FeatureMajor fm, EstimatorModel m, Made made, string[] z, string cT)
    {
        int d = m.D, h = m.HiddenFeatures, nb = made.Blocks.Length;
        var L = made.Layout;
        var y = new string[d];
        string? yPrefix = null;            // rows y_0..y_{i-1}: [i, R]
        var prefix = new string?[nb + 1];  // per hidden layer: units of degree < current pass, layout order, [e, R]
        for (int i = 0; i < d; i++)
        {
            int a = L.End(i - 1), e = L.End(i);
            if (e > a)
            {
                var rows = L.Units(a, e);
                var pre = fm.PerDraw(ContextTerm(g, fm, m, made, rows, cT), rows.Length);
                if (i > 0)
                {
                    var w0 = MadeLayout.Block(made.Initial.W, made.Initial.Mask, d, rows, Enumerable.Range(0, i).ToArray());
                    pre = g.Add(fm.MatMul(w0, rows.Length, i, yPrefix!, "l0"), pre);
                }
                var hNew = g.Tanh(pre);
                prefix[0] = prefix[0] == null ? hNew : g.Concat(0, prefix[0]!, hNew);
                var avail = L.Units(0, e);
                for (int l = 1; l <= nb; l++)
                {
                    var blk = made.Blocks[l - 1];
                    var w = MadeLayout.Block(blk.W, blk.Mask, h, rows, avail);
                    hNew = g.Tanh(g.Add(fm.MatMul(w, rows.Length, e, prefix[l - 1]!, "blk"), fm.Column(Pick(blk.Bias, rows), "blk_b")));
                    prefix[l] = prefix[l] == null ? hNew : g.Concat(0, prefix[l]!, hNew);
                }
            }
            y[i] = AffineStep(g, fm, made, z[i], i, L.End(i) == 0 ? null : prefix[nb], L.Units(0, L.End(i)), h);
            if (i < d - 1) yPrefix = yPrefix == null ? y[i] : g.Concat(0, yPrefix, y[i]);
        }
        return y;
    }

    /// <summary>Reference unrolling as nflows does it: D full masked passes, each recomputing every unit.</summary>
    private static string[] InverseFull(OnnxGraphBuilder g, FeatureMajor fm, EstimatorModel m, Made made, string[] z, string cT)
    {
        int d = m.D, h = m.HiddenFeatures;
        var all = Enumerable.Range(0, h).ToArray();
        var ctx = fm.PerDraw(ContextTerm(g, fm, m, made, all, cT), h);
        var y = new string[d];
        string? yAll = null;
        for (int i = 0; i < d; i++)
        {
            var pre = yAll == null ? ctx : g.Add(fm.MatMul(Masked(made.Initial.W, made.Initial.Mask), h, d, yAll, "l0"), ctx);
            var hid = g.Tanh(pre);
            foreach (var b in made.Blocks) hid = g.Tanh(g.Add(fm.MatMul(Masked(b.W, b.Mask), h, h, hid, "blk"), fm.Column(b.Bias, "blk_b")));
            y[i] = AffineStep(g, fm, made, z[i], i, hid, all, h);
            // y with the not-yet-computed coordinates at 0, like nflows' inverse loop starting from zeros.
            var zero = g.Mul(z[0], g.Scalar(0f));
            yAll = d == 1 ? y[0] : g.Concat(0, Enumerable.Range(0, d).Select(j => j <= i ? y[j] : zero).ToArray());
        }
        return y;
    }

    /// <summary>y_i = (z_i − t_i) / (softplus(u_i) + 1e-3) with (u_i, t_i) = final-layer rows 2i, 2i+1.</summary>
    private static string AffineStep(OnnxGraphBuilder g, FeatureMajor fm, Made made, string zi, int i, string? hidden, int[] unitCols, int h)
    {
        var rows = new[] { 2 * i, 2 * i + 1 };
        if (hidden == null)
        {
            // Feature of degree 1 (D ≥ 2): bias-only scale and shift, folded at export time.
            float s = Softplus(made.Final.Bias[2 * i]) + ScaleEpsilon;
            return g.Div(g.Sub(zi, g.Scalar(made.Final.Bias[2 * i + 1])), g.Scalar(s));
        }
        var w = MadeLayout.Block(made.Final.W, made.Final.Mask, h, rows, unitCols);
        var outp = g.Add(fm.MatMul(w, 2, unitCols.Length, hidden, "final"), fm.Column(Pick(made.Final.Bias, rows), "final_b"));
        var scale = g.Add(g.Softplus(g.Slice(outp, 0, 0, 1)), g.Scalar(ScaleEpsilon));
        return g.Div(g.Sub(zi, g.Slice(outp, 0, 1, 2)), scale);
    }

    /// <summary>Multiply-adds ×2 per sample draw (context terms, computed once per x, excluded).</summary>
    private static long SampleFlops(EstimatorModel m, Made[] mades, bool prune)
    {
        long total = 0;
        int d = m.D, h = m.HiddenFeatures, nb = m.NumBlocks;
        foreach (var made in mades)
        {
            var L = made.Layout;
            for (int i = 0; i < d; i++)
            {
                if (prune)
                {
                    int a = L.End(i - 1), e = L.End(i), n = e - a;
                    total += 2L * n * i + 2L * nb * n * e + 2L * 2 * e;
                }
                else total += 2L * h * d + 2L * nb * h * h + 2L * 2 * d * h; // one full masked pass per feature, as nflows runs it
            }
        }
        return total;
    }
}
