using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.ExportParts;

namespace Sbi.Onnx.Export;

/// <summary>
/// MAF (nflows MaskedAffineAutoregressiveTransform + RandomPermutation, sbi's default estimator), spec §4.4.
/// log_prob: one masked forward pass per MADE. sample: the D autoregressive passes of each MADE inverse
/// are unrolled (no ONNX Loop) with masks folded into the weights; with pruning each hidden unit is
/// evaluated once, in the pass where its degree first becomes needed (see <see cref="MadeLayout"/>).
/// </summary>
internal sealed class MafExporter : IGraphExporter
{
    private const float ScaleEpsilon = 1e-3f; // nflows: scale = softplus(u) + 1e-3

    private sealed record Layer(float[] W, float[] Mask, float[] Bias);

    private sealed record Made(Layer Initial, float[] Wc, float[] Bc, Layer[] Blocks, Layer Final, MadeLayout Layout, long[] Permutation);

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
        var deg = m.Has(p + "initial_layer.degrees") ? m.I(p + "initial_layer.degrees") : MadeLayout.SequentialHiddenDegrees(h, d);
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

    private static string LogProb(OnnxGraphBuilder g, EstimatorModel m, Made[] mades, ThetaAffine? affine, string theta, string x)
    {
        int d = m.D, h = m.HiddenFeatures;
        var c = EmbedX(g, x, m, "net._embedding_net.");
        var z = affine?.Forward(g, theta) ?? theta;
        string? logdet = null;
        // Final-layer rows re-ordered to [all scale rows; all shift rows] so two slices separate them.
        var rowsScaleThenShift = Enumerable.Range(0, d).Select(i => 2 * i).Concat(Enumerable.Range(0, d).Select(i => 2 * i + 1)).ToArray();
        foreach (var made in mades)
        {
            var ctx = g.Tanh(g.Linear(c, made.Wc, h, m.C, made.Bc, "ctx"));
            var hid = g.Tanh(g.Add(g.Linear(z, Masked(made.Initial.W, made.Initial.Mask), h, d, made.Initial.Bias, "l0"), ctx));
            foreach (var b in made.Blocks)
                hid = g.Tanh(g.Linear(hid, Masked(b.W, b.Mask), h, h, b.Bias, "blk"));
            var wf = Masked(made.Final.W, made.Final.Mask);
            var block = MadeLayout.Block(wf, Enumerable.Repeat(1f, wf.Length).ToArray(), h, rowsScaleThenShift, Enumerable.Range(0, h).ToArray());
            var outp = g.Add(MatMulT(g, hid, block, 2 * d, h, "final"), g.Vector(Pick(made.Final.Bias, rowsScaleThenShift), "final_b"));
            var scale = g.Add(g.Softplus(g.Slice(outp, 1, 0, d)), g.Scalar(ScaleEpsilon));
            var shift = g.Slice(outp, 1, d, 2 * d);
            z = g.Add(g.Mul(scale, z), shift);
            var ld = g.ReduceSum(g.Log(scale), 1, keepDims: false);
            logdet = logdet == null ? ld : g.Add(logdet, ld);
            z = g.GatherConst(z, 1, made.Permutation);
        }
        var baseLp = g.Sub(g.Mul(g.ReduceSum(g.Mul(z, z), 1, keepDims: false), g.Scalar(-0.5f)), g.Scalar(d * HalfLog2Pi));
        var lp = g.Add(baseLp, logdet!);
        return affine == null ? lp : g.Add(lp, g.Scalar(affine.LogDet()));
    }

    // ---------------------------------------------------------------- sample (inverse direction)

    private static string Sample(OnnxGraphBuilder g, EstimatorModel m, Made[] mades, ThetaAffine? affine, string x, string noise, bool prune)
    {
        int d = m.D;
        var c = EmbedX(g, x, m, "net._embedding_net.");
        var cols = Enumerable.Range(0, d).Select(i => g.Slice(noise, 2, i, i + 1)).ToArray(); // [B,S,1] each
        for (int k = mades.Length - 1; k >= 0; k--)
        {
            // Inverse permutation is a relabelling of the column tensors: z[perm[j]] = y[j].
            var z = new string[d];
            for (int j = 0; j < d; j++) z[mades[k].Permutation[j]] = cols[j];
            cols = prune ? InversePruned(g, m, mades[k], z, c) : InverseFull(g, m, mades[k], z, c);
        }
        var y = d == 1 ? cols[0] : g.Concat(2, cols);
        return affine?.Inverse(g, y) ?? y;
    }

    /// <summary>Context term tanh(Wc c + bc) + b0 (initial-layer bias folded in), hidden units in layout order, [B,1,H].</summary>
    private static string ContextTerm(OnnxGraphBuilder g, EstimatorModel m, Made made, string c)
    {
        int h = m.HiddenFeatures;
        var all = Enumerable.Range(0, m.C).ToArray();
        var order = made.Layout.Order;
        var wc = MadeLayout.Block(made.Wc, Enumerable.Repeat(1f, made.Wc.Length).ToArray(), m.C, order, all);
        var ctx = g.Tanh(g.Add(MatMulT(g, c, wc, h, m.C, "ctx"), g.Vector(Pick(made.Bc, order), "ctx_b")));
        return g.Unsqueeze(g.Add(ctx, g.Vector(Pick(made.Initial.Bias, order), "l0_b")), 1);
    }

    private static string[] InversePruned(OnnxGraphBuilder g, EstimatorModel m, Made made, string[] z, string c)
    {
        int d = m.D, h = m.HiddenFeatures, nb = made.Blocks.Length;
        var L = made.Layout;
        var ctx = ContextTerm(g, m, made, c);
        var y = new string[d];
        string? yPrefix = null;            // Concat(y_0..y_{i-1}), [B,S,i]
        var prefix = new string?[nb + 1];  // per hidden layer: units of degree < current pass, layout order
        for (int i = 0; i < d; i++)
        {
            int a = L.End(i - 1), e = L.End(i);
            if (e > a)
            {
                var rows = L.Units(a, e);
                var pre = g.Slice(ctx, 2, a, e);
                if (i > 0)
                {
                    var w0 = MadeLayout.Block(made.Initial.W, made.Initial.Mask, d, rows, Enumerable.Range(0, i).ToArray());
                    pre = g.Add(MatMulT(g, yPrefix!, w0, rows.Length, i, "l0"), pre);
                }
                var hNew = g.Tanh(pre);
                prefix[0] = prefix[0] == null ? hNew : g.Concat(2, prefix[0]!, hNew);
                var avail = L.Units(0, e);
                for (int l = 1; l <= nb; l++)
                {
                    var blk = made.Blocks[l - 1];
                    var w = MadeLayout.Block(blk.W, blk.Mask, h, rows, avail);
                    hNew = g.Tanh(g.Add(MatMulT(g, prefix[l - 1]!, w, rows.Length, e, "blk"), g.Vector(Pick(blk.Bias, rows), "blk_b")));
                    prefix[l] = prefix[l] == null ? hNew : g.Concat(2, prefix[l]!, hNew);
                }
            }
            y[i] = AffineStep(g, made, z[i], i, L.End(i) == 0 ? null : prefix[nb], L.Units(0, L.End(i)), h);
            if (i < d - 1) yPrefix = yPrefix == null ? y[i] : g.Concat(2, yPrefix, y[i]);
        }
        return y;
    }

    /// <summary>Reference unrolling as nflows does it: D full masked passes, each recomputing every unit.</summary>
    private static string[] InverseFull(OnnxGraphBuilder g, EstimatorModel m, Made made, string[] z, string c)
    {
        int d = m.D, h = m.HiddenFeatures;
        var all = Enumerable.Range(0, h).ToArray();
        var ctx = g.Unsqueeze(g.Add(g.Tanh(g.Linear(c, made.Wc, h, m.C, made.Bc, "ctx")), g.Vector(made.Initial.Bias, "l0_b")), 1);
        var y = new string[d];
        string? yAll = null;
        for (int i = 0; i < d; i++)
        {
            var pre = yAll == null ? ctx : g.Add(g.Linear(yAll, Masked(made.Initial.W, made.Initial.Mask), h, d, null, "l0"), ctx);
            var hid = g.Tanh(pre);
            foreach (var b in made.Blocks) hid = g.Tanh(g.Linear(hid, Masked(b.W, b.Mask), h, h, b.Bias, "blk"));
            y[i] = AffineStep(g, made, z[i], i, hid, all, h);
            // y with the not-yet-computed coordinates at 0, like nflows' inverse loop starting from zeros.
            var parts = Enumerable.Range(0, d).Select(j => j <= i ? y[j] : null).ToArray();
            yAll = ZeroPadded(g, parts, z[0]);
        }
        return y;
    }

    private static string ZeroPadded(OnnxGraphBuilder g, string?[] parts, string like)
    {
        var zero = g.Mul(like, g.Scalar(0f));
        return parts.Length == 1 ? parts[0] ?? zero : g.Concat(2, parts.Select(p => p ?? zero).ToArray());
    }

    /// <summary>y_i = (z_i − t_i) / (softplus(u_i) + 1e-3) with (u_i, t_i) = final-layer rows 2i, 2i+1.</summary>
    private static string AffineStep(OnnxGraphBuilder g, Made made, string zi, int i, string? hidden, int[] unitCols, int h)
    {
        var rows = new[] { 2 * i, 2 * i + 1 };
        if (hidden == null)
        {
            // Feature of degree 1 (D ≥ 2): bias-only scale and shift, folded at export time.
            float s = Softplus(made.Final.Bias[2 * i]) + ScaleEpsilon;
            return g.Div(g.Sub(zi, g.Scalar(made.Final.Bias[2 * i + 1])), g.Scalar(s));
        }
        var w = MadeLayout.Block(made.Final.W, made.Final.Mask, h, rows, unitCols);
        var outp = g.Add(MatMulT(g, hidden, w, 2, unitCols.Length, "final"), g.Vector(Pick(made.Final.Bias, rows), "final_b"));
        var scale = g.Add(g.Softplus(g.Slice(outp, 2, 0, 1)), g.Scalar(ScaleEpsilon));
        return g.Div(g.Sub(zi, g.Slice(outp, 2, 1, 2)), scale);
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
