using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.ExportParts;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Export;

/// <summary>
/// sbi's "made": θ z-scoring + nflows MixtureOfGaussiansMADE over [dummy; z] (D+1 features, residual
/// masked blocks, ReLU; sbi/neural_nets/net_builders/flow.py, build_made). log_prob keeps the dummy at 0 and drops its outputs (sbi's
/// MADEMoGWrapper). sample runs the D+1 autoregressive passes unrolled and pruned by degree; by default
/// it reproduces sbi's sampler quirk of also sampling the dummy coordinate (parity README, item 2).
/// </summary>
internal sealed class MadeMixtureExporter : IGraphExporter
{
    private const float StdEpsilon = (float)EstimatorConstants.MadeMixtureEpsilon;

    private sealed record Masked(float[] W, float[] Mask, float[] B);

    private sealed record Block(Masked L0, Masked L1, float[] Wc, float[] Bc);

    private sealed record Net(int F, int H, int K, int C, Masked Initial, float[] Wc, float[] Bc, Block[] Blocks, Masked Final, MadeLayout Layout);

    /// <inheritdoc />
    public JsonObject DescribeZScore(EstimatorModel m) => ZScoreManifest.Flow(m);

    public JsonObject Describe(EstimatorModel m) => new()
    {
        ["hidden_features"] = m.HiddenFeatures, ["num_blocks"] = m.NumBlocks, ["num_mixture_components"] = m.NumComponents,
    };

    /// <inheritdoc />
    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        var net = Load(m);
        var affine = ThetaAffine.Load(m, "net._transform._transforms.0.");
        var lp = new OnnxGraphBuilder("made_log_prob");
        var (theta, x, lpSpecs) = LogProbInputs(lp, m);
        var lpOut = LogProbOutput(lp, LogProb(lp, m, net, affine, theta, x));

        bool dummy = options.MadeSampleDummyLikeSbi;
        int width = dummy ? m.D + 1 : m.D;
        var sg = new OnnxGraphBuilder("made_sample");
        var xs = sg.Input("x", F32, "B", (long)m.C);
        var noise = sg.Input("noise", F32, "B", "S", (long)width);
        var uniform = sg.Input("uniform", F32, "B", "S", (long)width);
        var sOut = SampleOutput(sg, Sample(sg, m, net, affine, xs, noise, uniform, dummy), m);
        var sSpecs = new[]
        {
            new TensorSpec("x", "x", new object[] { "B", m.C }),
            new TensorSpec("noise", "standard_normal", new object[] { "B", "S", width }),
            new TensorSpec("uniform", "uniform", new object[] { "B", "S", width }),
        };
        var notes = new Dictionary<string, object> { ["made_sample_dummy_like_sbi"] = dummy };
        return new ExportedGraphs(sg.ToBytes("sbi MADE-mixture posterior sampler"), sSpecs, sOut, lp.ToBytes("sbi MADE-mixture log-density"), lpSpecs, lpOut, notes);
    }

    private static Net Load(EstimatorModel m)
    {
        const string p = "net._distribution._made.";
        int f = m.D + 1, h = m.HiddenFeatures, k = m.NumComponents;
        Masked L(string name, int rows, int cols) => new(m.F(p + name + ".weight", rows * cols), m.F(p + name + ".mask", rows * cols), m.F(p + name + ".bias", rows));
        var deg = m.Has(p + "initial_layer.degrees") ? m.I(p + "initial_layer.degrees") : MadeDegrees.Hidden(h, f);
        var layout = new MadeLayout(f, deg, 3 * k);
        var initial = L("initial_layer", h, f);
        layout.CheckInputMask(initial.Mask, p + "initial_layer.mask");
        var blocks = new Block[m.NumBlocks];
        for (int b = 0; b < blocks.Length; b++)
        {
            string q = $"blocks.{b}.";
            blocks[b] = new Block(L(q + "linear_layers.0", h, h), L(q + "linear_layers.1", h, h), m.F(p + q + "context_layer.weight", h * m.C), m.F(p + q + "context_layer.bias", h));
            layout.CheckHiddenMask(blocks[b].L0.Mask, p + q + "linear_layers.0.mask");
            layout.CheckHiddenMask(blocks[b].L1.Mask, p + q + "linear_layers.1.mask");
        }
        var final = L("final_layer", f * 3 * k, h);
        layout.CheckOutputMask(final.Mask, p + "final_layer.mask");
        return new Net(f, h, k, m.C, initial, m.F(p + "context_layer.weight", h * m.C), m.F(p + "context_layer.bias", h), blocks, final, layout);
    }

    // ------------------------------------------------------------------------------- log_prob

    private static string LogProb(OnnxGraphBuilder g, EstimatorModel m, Net n, ThetaAffine? affine, string theta, string x)
    {
        int d = m.D, h = n.H, k = n.K;
        var c = EmbedX(g, x, m, "net._embedding_net.");
        var z = affine?.Forward(g, theta) ?? theta;
        // The dummy input is 0, so its weight column contributes nothing: use columns 1..D only.
        var w0 = Masked(n.Initial.W, n.Initial.Mask);
        var w0Real = MadeLayout.Block(w0, Ones(w0.Length), n.F, Enumerable.Range(0, h).ToArray(), Enumerable.Range(1, d).ToArray());
        var temps = g.Add(g.Add(MatMulT(g, z, w0Real, h, d, "l0"), g.Vector(n.Initial.B, "l0_b")), g.Linear(c, n.Wc, h, n.C, n.Bc, "ctx"));
        foreach (var b in n.Blocks)
        {
            var t = g.Add(g.Linear(g.Relu(temps), Masked(b.L0.W, b.L0.Mask), h, h, b.L0.B, "res0"), g.Linear(c, b.Wc, h, n.C, b.Bc, "res_ctx"));
            t = g.Linear(g.Relu(t), Masked(b.L1.W, b.L1.Mask), h, h, b.L1.B, "res1");
            temps = g.Add(temps, t);
        }
        // Final rows of the real features re-ordered into [logits | means | unconstrained stds], each (D, K).
        var wf = Masked(n.Final.W, n.Final.Mask);
        string Part(int kind, string hint)
        {
            var rows = new List<int>();
            for (int i = 1; i <= d; i++)
                for (int j = 0; j < k; j++) rows.Add((i * k + j) * 3 + kind);
            var block = MadeLayout.Block(wf, Ones(wf.Length), h, rows, Enumerable.Range(0, h).ToArray());
            var o = g.Add(MatMulT(g, temps, block, rows.Count, h, hint), g.Vector(Pick(n.Final.B, rows), hint + "_b"));
            return g.Reshape(o, 0, d, k);
        }
        var logits = Part(0, "logit");
        var means = Part(1, "mean");
        var stds = g.Add(g.Softplus(Part(2, "ustd")), g.Scalar(StdEpsilon));
        var u = g.Div(g.Sub(g.Unsqueeze(z, 2), means), stds);
        var inner = g.Add(g.Add(g.Scalar(2 * HalfLog2Pi), g.Mul(g.Scalar(2f), g.Log(stds))), g.Mul(u, u));
        var comp = g.Sub(g.LogSoftmax(logits, 2), g.Mul(g.Scalar(0.5f), inner));                      // [N, D, K]
        var lp = g.ReduceSum(g.LogSumExp(comp, 2), 1, keepDims: false);
        return affine == null ? lp : g.Add(lp, g.Scalar(affine.LogDet()));
    }

    // ------------------------------------------------------------------------------- sample

    /// <summary>Autoregressive sampler in the feature-major layout [features, R] (see <see cref="FeatureMajor"/>).</summary>
    private static string Sample(OnnxGraphBuilder g, EstimatorModel m, Net n, ThetaAffine? affine, string x, string noise, string uniform, bool sampleDummy)
    {
        int h = n.H, nb = n.Blocks.Length, width = sampleDummy ? n.F : n.F - 1;
        var L = n.Layout;
        var fm = new FeatureMajor(g, noise, width);
        var cT = g.Transpose(EmbedX(g, x, m, "net._embedding_net."), 1, 0);                    // [C, B]
        var noiseT = fm.Rows(noise, width);                                                      // [w, R]
        var uniformT = fm.Rows(uniform, width);
        var allC = Enumerable.Range(0, n.C).ToArray();
        // Per-draw context term Wc c + bc (+ the layer's own bias) for the given units: [n, R].
        string Ctx(float[] w, float[] b, float[] bias2, int[] units) =>
            fm.PerDraw(g.Add(fm.MatMul(MadeLayout.Block(w, Ones(w.Length), n.C, units, allC), units.Length, n.C, cT, "ctx"),
                             fm.Column(units.Select(u => b[u] + bias2[u]).ToArray(), "ctx_b")), units.Length);

        var s = new string?[n.F];            // sampled feature values [1, R]; s[0] = dummy
        var prefixTemps = new string?[nb + 1];
        var prefixReluTemps = new string?[nb];
        var prefixReluA = new string?[nb];
        string? inputPrefix = null;          // rows of the sampled inputs used so far
        var inputCols = new List<int>();     // their original input indices
        int col = 0;                         // row of noise/uniform for the next sampled feature
        for (int f = sampleDummy ? 0 : 1; f < n.F; f++)
        {
            int a = L.End(f - 1), e = L.End(f);
            if (e > a)
            {
                var rows = L.Units(a, e);
                var avail = L.Units(0, e);
                var pre = Ctx(n.Wc, n.Bc, n.Initial.B, rows);
                if (inputCols.Count > 0)
                    pre = g.Add(fm.MatMul(MadeLayout.Block(n.Initial.W, n.Initial.Mask, n.F, rows, inputCols), rows.Length, inputCols.Count, inputPrefix!, "l0"), pre);
                prefixTemps[0] = Append(g, prefixTemps[0], pre);
                var tempsNew = pre;
                for (int b = 0; b < nb; b++)
                {
                    var blk = n.Blocks[b];
                    prefixReluTemps[b] = Append(g, prefixReluTemps[b], g.Relu(tempsNew));
                    var aNew = g.Add(fm.MatMul(MadeLayout.Block(blk.L0.W, blk.L0.Mask, h, rows, avail), rows.Length, e, prefixReluTemps[b]!, "res0"), Ctx(blk.Wc, blk.Bc, blk.L0.B, rows));
                    prefixReluA[b] = Append(g, prefixReluA[b], g.Relu(aNew));
                    var tNew = g.Add(fm.MatMul(MadeLayout.Block(blk.L1.W, blk.L1.Mask, h, rows, avail), rows.Length, e, prefixReluA[b]!, "res1"), fm.Column(Pick(blk.L1.B, rows), "res1_b"));
                    tempsNew = g.Add(tempsNew, tNew);
                    prefixTemps[b + 1] = Append(g, prefixTemps[b + 1], tempsNew);
                }
            }
            s[f] = SampleFeature(g, fm, n, f, e == 0 ? null : prefixTemps[nb], L.Units(0, e),
                g.Slice(noiseT, 0, col, col + 1), g.Slice(uniformT, 0, col, col + 1));
            col++;
            if (f < n.F - 1)
            {
                inputPrefix = inputPrefix == null ? s[f] : g.Concat(0, inputPrefix, s[f]!);
                inputCols.Add(f);
            }
        }
        var zOut = m.D == 1 ? s[1]! : g.Concat(0, s.Skip(1).Select(v => v!).ToArray());      // [D, R]
        if (affine != null)
            zOut = g.Div(g.Sub(zOut, fm.Column(affine.Shift, "theta_shift")), fm.Column(affine.Scale, "theta_scale"));
        return fm.ToOutput(zOut, m.D);
    }

    private static string Append(OnnxGraphBuilder g, string? prefix, string v) => prefix == null ? v : g.Concat(0, prefix, v);

    /// <summary>Draws feature f: component from softmax(logits), then μ + σ ε with σ = softplus(u) + 1e-2. Rows [1, R].</summary>
    private static string SampleFeature(OnnxGraphBuilder g, FeatureMajor fm, Net n, int f, string? hidden, int[] units, string eps, string u)
    {
        int k = n.K;
        string Part(int kind, string hint)
        {
            var rows = Enumerable.Range(0, k).Select(j => (f * k + j) * 3 + kind).ToArray();
            if (hidden == null) return fm.Column(Pick(n.Final.B, rows), hint);   // degree-1 feature: bias only, [K, 1]
            var block = MadeLayout.Block(n.Final.W, n.Final.Mask, n.H, rows, units);
            return g.Add(fm.MatMul(block, k, units.Length, hidden, hint), fm.Column(Pick(n.Final.B, rows), hint + "_b"));
        }
        var oneHot = MixtureParts.ChooseComponent(g, Part(0, "logit"), u, k, axis: 0);                 // [K, R]
        var mean = MixtureParts.Select(g, oneHot, Part(1, "mean"), axis: 0);
        var std = g.Add(g.Softplus(MixtureParts.Select(g, oneHot, Part(2, "ustd"), axis: 0)), g.Scalar(StdEpsilon));
        return g.Add(mean, g.Mul(eps, std));
    }

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
}
