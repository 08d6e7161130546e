using System.Text.Json.Nodes;
using Sbi.Onnx.Export;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Tests.Custom;

/// <summary>The ONNX exporter of <see cref="ConditionalGaussianFamily"/>, on Sbi.Onnx's public graph API only.</summary>
public sealed class ConditionalGaussianExporter : IGraphExporter
{
    private static readonly float HalfLog2Pi = (float)(0.5 * Math.Log(2 * Math.PI));

    public JsonObject Describe(EstimatorModel model) => new() { ["hidden_features"] = model.HiddenFeatures };

    public JsonObject DescribeZScore(EstimatorModel model) =>
        new() { ["theta"] = new JsonObject { ["mode"] = "none" }, ["x"] = new JsonObject { ["mode"] = "none" } };

    private static (string Mu, string LogStd) Parameters(OnnxGraphBuilder g, EstimatorModel m, string x)
    {
        int h = m.HiddenFeatures, c = m.C, d = m.D;
        var hid = g.Tanh(g.Linear(x, m.F("hidden.weight", h * c), h, c, m.F("hidden.bias", h), "hidden"));
        return (g.Linear(hid, m.F("mean.weight", d * h), d, h, m.F("mean.bias", d), "mean"),
                g.Linear(hid, m.F("log_std.weight", d * h), d, h, m.F("log_std.bias", d), "log_std"));
    }

    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        var lp = new OnnxGraphBuilder("conditional_gaussian_log_prob");
        var (theta, x, lpSpecs) = LogProbInputs(lp, m);
        var (mu, ls) = Parameters(lp, m, x);
        var z = lp.Div(lp.Sub(theta, mu), lp.Exp(ls));
        var terms = lp.Sub(lp.Sub(lp.Mul(lp.Scalar(-0.5f), lp.Mul(z, z)), ls), lp.Scalar(HalfLog2Pi));
        var lpOut = LogProbOutput(lp, lp.ReduceSum(terms, 1, keepDims: false));

        var sg = new OnnxGraphBuilder("conditional_gaussian_sample");
        var (xs, noise, sSpecs) = SampleInputs(sg, m);
        var (smu, sls) = Parameters(sg, m, xs);
        var samples = sg.Add(sg.Unsqueeze(smu, 1), sg.Mul(sg.Unsqueeze(sg.Exp(sls), 1), noise));   // [B, 1, D] + [B, 1, D]·[B, S, D]
        var sOut = SampleOutput(sg, samples, m);
        return new ExportedGraphs(sg.ToBytes("conditional Gaussian sampler"), sSpecs, sOut, lp.ToBytes("conditional Gaussian log-density"), lpSpecs, lpOut,
            new Dictionary<string, object>());
    }
}
