using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using Sbi.Onnx.Proto;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Export;

/// <summary>
/// The "vi" estimator: a fitted variational posterior saved by Sbi.Net's <c>VIModelFile</c>, whose q(z | x) lives in the
/// prior's unconstrained space z = T(θ). Its graphs are q's own family's graphs (the registered exporter of q's family,
/// or the Gaussian's) joined with T (<see cref="ThetaTransformSpec"/>, read off the package's prior): sample.onnx maps q's
/// z samples through T⁻¹, so every θ lies in the prior's support; log_prob.onnx evaluates q at z = T(θ) and adds
/// log |det ∂z/∂θ|, q's exact density in θ. The manifest's "estimator" records q's family and sizes, the VI method, the
/// mode and, for a q fitted at one observation, that observation ("trained_on"), which <c>OnnxPosterior</c> then requires.
/// </summary>
internal sealed class VariationalExporter : IGraphExporter
{
    /// <inheritdoc />
    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        var (inner, exporter, transform) = Resolve(m);
        var g = exporter.Build(inner, options);
        if (IsInverseAutoregressive(m)) return BuildInverseAutoregressive(m, inner, g, transform);
        var sampleModel = GraphSplice.Parse(g.SampleOnnx);
        var logProbModel = GraphSplice.Parse(g.LogProbOnnx);

        // sample: q's graph (its θ output is z), then θ = T⁻¹(z).
        var post = new OnnxGraphBuilder("vi_sample_tail");
        var zIn = post.Input("z", F32, "B", "S", (long)m.D);
        var sOut = SampleOutput(post, transform.Inverse(post, zIn), m);
        var postGraph = GraphSplice.GraphOf(post);
        var sample = GraphSplice.Join(sampleModel, "vi_sample", $"Sbi.Net variational posterior sampler (q: {inner.Estimator})", new[]
        {
            new GraphSplice.Piece(sampleModel.Graph, "q/", Identity(sampleModel.Graph.Input.Select(i => i.Name)).With(g.SampleOutput.Name, "vi_z")),
            new GraphSplice.Piece(postGraph, "vi/", Identity(Array.Empty<string>()).With("z", "vi_z").With(sOut.Name, sOut.Name)),
        }, sampleModel.Graph.Input, postGraph.Output);

        // log_prob: z = T(θ) and log |det ∂z/∂θ|, q's graph at z, then their sum.
        var pre = new OnnxGraphBuilder("vi_log_prob_head");
        var (theta, _, lpSpecs) = LogProbInputs(pre, m);
        var (z, logDet) = transform.Forward(pre, theta);
        pre.Output(z, "z", F32, "N", (long)m.D);
        pre.Output(logDet, "log_det", F32, "N");
        var tail = new OnnxGraphBuilder("vi_log_prob_tail");
        var lpZ = tail.Input("lp_z", F32, "N");
        var ld = tail.Input("log_det", F32, "N");
        var lpOut = LogProbOutput(tail, tail.Add(lpZ, ld));
        var preGraph = GraphSplice.GraphOf(pre);
        var tailGraph = GraphSplice.GraphOf(tail);
        var qTheta = g.LogProbInputs.First(s => s.Role == "theta").Name;
        var qX = g.LogProbInputs.First(s => s.Role == "x").Name;
        var logProb = GraphSplice.Join(logProbModel, "vi_log_prob", $"Sbi.Net variational posterior log-density (q: {inner.Estimator})", new[]
        {
            new GraphSplice.Piece(preGraph, "head/", Identity(new[] { "theta" }).With("z", "vi_z").With("log_det", "vi_log_det")),
            new GraphSplice.Piece(logProbModel.Graph, "q/", Identity(Array.Empty<string>()).With(qTheta, "vi_z").With(qX, "x").With(g.LogProbOutput.Name, "vi_lp_z")),
            new GraphSplice.Piece(tailGraph, "tail/", Identity(new[] { lpOut.Name }).With("lp_z", "vi_lp_z").With("log_det", "vi_log_det")),
        }, new[] { preGraph.Input.Single(i => i.Name == "theta"), logProbModel.Graph.Input.Single(i => i.Name == qX).Clone().Renamed("x") },
           tailGraph.Output);

        var notes = new Dictionary<string, object>(g.Notes) { ["vi_theta_transform"] = transform.ToJson().ToJsonString() };
        return new ExportedGraphs(sample, g.SampleInputs, sOut, logProb, lpSpecs, lpOut, notes);
    }

    /// <summary>
    /// The graphs of a MAF q used as an inverse autoregressive flow (options "q_orientation": "iaf"): sample.onnx runs the
    /// MAF's forward map on the noise (one pass per layer, <see cref="MafExporter.ForwardRows"/>), z = F(ε), then T⁻¹;
    /// log_prob.onnx finds ε = F⁻¹(z) with the MAF's own sample graph (its noise input fed with z) and uses
    /// q(z) = N(ε)·|det ∂F/∂ε|⁻¹ = N(ε)·N(z)/p_MAF(ε) (p_MAF(ε) = N(F(ε))·|det ∂F/∂ε| is the MAF's own log_prob graph at ε),
    /// plus log |det ∂z/∂θ|.
    /// </summary>
    private static ExportedGraphs BuildInverseAutoregressive(EstimatorModel m, EstimatorModel inner, ExportedGraphs g, ThetaTransformSpec transform)
    {
        if (inner.Estimator != "maf") throw new ArgumentException($"options \"q_orientation\" 'iaf' needs a 'maf' q; got '{inner.Estimator}'.", nameof(m));
        int d = m.D;
        float logNorm = d * ExportParts.HalfLog2Pi;
        var sampleModel = GraphSplice.Parse(g.SampleOnnx);
        var logProbModel = GraphSplice.Parse(g.LogProbOnnx);

        // sample: rows of noise and of x (each x repeated for its S draws) through F, then T⁻¹.
        var sg = new OnnxGraphBuilder("vi_iaf_sample");
        var (xs, noise, sSpecs) = SampleInputs(sg, m);
        var noiseShape = sg.Shape(noise);                                                     // [B, S, D]
        var xShape = sg.Concat(0, sg.Slice(noiseShape, 0, 0, 2), sg.Ints(m.C));              // [B, S, C]
        var xRows = sg.Reshape(sg.Expand(sg.Unsqueeze(xs, 1), xShape), -1, m.C);
        var (zRows, _) = MafExporter.ForwardRows(sg, inner, sg.Reshape(noise, -1, d), xRows);
        var z = sg.Op("Reshape", zRows, noiseShape);
        var sOut = SampleOutput(sg, transform.Inverse(sg, z), m);
        var sample = sg.ToBytes($"Sbi.Net variational posterior sampler (q: inverse autoregressive {inner.Estimator})");

        // log_prob: z = T(θ); ε = F⁻¹(z) by the MAF's sampler; log p_MAF(ε) by its log-density; their combination.
        var head = new OnnxGraphBuilder("vi_iaf_head");
        var (theta, _, lpSpecs) = LogProbInputs(head, m);
        var (zh, logDetT) = transform.Forward(head, theta);
        head.Output(head.Unsqueeze(zh, 1), "z3", F32, "N", 1L, (long)d);
        head.Output(zh, "z", F32, "N", (long)d);
        head.Output(logDetT, "log_det", F32, "N");
        var mid = new OnnxGraphBuilder("vi_iaf_mid");
        var eps3 = mid.Input("eps3", F32, "N", 1L, (long)d);
        mid.Output(mid.Squeeze(eps3, 1), "eps", F32, "N", (long)d);
        var tail = new OnnxGraphBuilder("vi_iaf_tail");
        var eps = tail.Input("eps", F32, "N", (long)d);
        var zt = tail.Input("z", F32, "N", (long)d);
        var lpMaf = tail.Input("lp_maf", F32, "N");
        var ldT = tail.Input("log_det", F32, "N");
        string LogNormal(string v) => tail.Sub(tail.Mul(tail.ReduceSum(tail.Mul(v, v), 1, keepDims: false), tail.Scalar(-0.5f)), tail.Scalar(logNorm));
        var lpOut = LogProbOutput(tail, tail.Add(tail.Sub(tail.Add(LogNormal(eps), LogNormal(zt)), lpMaf), ldT));

        var sampleIn = g.SampleInputs;
        var qX = g.LogProbInputs.First(s => s.Role == "x").Name;
        var qTheta = g.LogProbInputs.First(s => s.Role == "theta").Name;
        var headGraph = GraphSplice.GraphOf(head);
        var tailGraph = GraphSplice.GraphOf(tail);
        var logProb = GraphSplice.Join(logProbModel, "vi_iaf_log_prob", $"Sbi.Net variational posterior log-density (q: inverse autoregressive {inner.Estimator})", new[]
        {
            new GraphSplice.Piece(headGraph, "head/", Identity(new[] { "theta" }).With("z3", "vi_z3").With("z", "vi_z").With("log_det", "vi_log_det")),
            new GraphSplice.Piece(sampleModel.Graph, "inv/", Identity(Array.Empty<string>())
                .With(sampleIn.First(s => s.Role == "x").Name, "x").With(sampleIn.First(s => s.Role == "standard_normal").Name, "vi_z3").With(g.SampleOutput.Name, "vi_eps3")),
            new GraphSplice.Piece(GraphSplice.GraphOf(mid), "mid/", Identity(Array.Empty<string>()).With("eps3", "vi_eps3").With("eps", "vi_eps")),
            new GraphSplice.Piece(logProbModel.Graph, "lp/", Identity(Array.Empty<string>()).With(qTheta, "vi_eps").With(qX, "x").With(g.LogProbOutput.Name, "vi_lp_maf")),
            new GraphSplice.Piece(tailGraph, "tail/", Identity(new[] { lpOut.Name }).With("eps", "vi_eps").With("z", "vi_z").With("lp_maf", "vi_lp_maf").With("log_det", "vi_log_det")),
        }, new[] { headGraph.Input.Single(i => i.Name == "theta"), logProbModel.Graph.Input.Single(i => i.Name == qX).Clone().Renamed("x") }, tailGraph.Output);

        // The MAF sampler's notes (FLOPs of its inverse passes) do not describe this sample graph.
        var notes = new Dictionary<string, object> { ["vi_theta_transform"] = transform.ToJson().ToJsonString(), ["vi_q_orientation"] = "iaf" };
        return new ExportedGraphs(sample, sSpecs, sOut, logProb, lpSpecs, lpOut, notes);
    }

    private static bool IsInverseAutoregressive(EstimatorModel m) => m.Config.Options?["q_orientation"]?.GetValue<string>() == "iaf";

    /// <inheritdoc />
    public JsonObject Describe(EstimatorModel m)
    {
        var (inner, exporter, transform) = Resolve(m);
        var q = exporter.Describe(inner);
        q.Insert(0, "estimator", inner.Estimator);
        var options = m.Config.Options!;
        var d = new JsonObject
        {
            ["q"] = q,
            ["vi_method"] = options["vi_method"]?.DeepClone(),
            ["mode"] = options["mode"]?.DeepClone(),
            ["theta_transform"] = transform.ToJson(),
            ["q_orientation"] = IsInverseAutoregressive(m) ? "iaf" : "standard",
        };
        if (options["trained_on"] is JsonArray xo) d["trained_on"] = xo.DeepClone();
        return d;
    }

    /// <inheritdoc />
    public JsonObject DescribeZScore(EstimatorModel m)
    {
        var (inner, exporter, _) = Resolve(m);
        return exporter.DescribeZScore(inner);
    }

    /// <summary>q as an estimator model of its own family, that family's exporter and the prior's transform.</summary>
    private static (EstimatorModel Inner, IGraphExporter Exporter, ThetaTransformSpec Transform) Resolve(EstimatorModel m)
    {
        var options = m.Config.Options ?? throw new ArgumentException("a 'vi' model needs config options (q's configuration and the VI state).", nameof(m));
        if (options["q"] is not JsonObject qJson) throw new ArgumentException("a 'vi' model's options have no \"q\" object.", nameof(m));
        if (options["theta_transform"]?.GetValue<string>() != "prior")
            throw new ArgumentException("a 'vi' model's options \"theta_transform\" must be 'prior' (the prior's own transform).", nameof(m));
        EstimatorConfig qConfig;
        using (var doc = JsonDocument.Parse(qJson.ToJsonString())) qConfig = EstimatorConfigJson.FromJson(doc.RootElement, "vi options.q");
        if (qConfig.D != m.D || qConfig.C != m.C)
            throw new ArgumentException($"q's configuration (D = {qConfig.D}, C = {qConfig.C}) disagrees with the model's (D = {m.D}, C = {m.C}).", nameof(m));
        var inner = new EstimatorModel { Config = qConfig, StateDict = m.StateDict, Prior = m.Prior };
        inner.Validate();
        IGraphExporter exporter = qConfig.Estimator is "gaussian" or "gaussian_diag" ? new GaussianQExporter() : OnnxExporters.Get(qConfig.Estimator);
        return (inner, exporter, ThetaTransformSpec.OfPrior(m.Prior));
    }

    private static Dictionary<string, string> Identity(IEnumerable<string> names) => names.ToDictionary(n => n, n => n, StringComparer.Ordinal);
}

/// <summary>Small helpers for the name maps of <see cref="GraphSplice"/>.</summary>
internal static class SpliceMaps
{
    public static Dictionary<string, string> With(this Dictionary<string, string> map, string from, string to)
    {
        map[from] = to;
        return map;
    }

    public static ValueInfoProto Renamed(this ValueInfoProto v, string name)
    {
        v.Name = name;
        return v;
    }
}
