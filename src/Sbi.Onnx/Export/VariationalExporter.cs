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
