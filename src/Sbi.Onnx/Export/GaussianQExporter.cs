using System.Text.Json.Nodes;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using static Sbi.Onnx.Export.ExportParts;
using static Sbi.Onnx.Export.GraphInterface;

namespace Sbi.Onnx.Export;

/// <summary>
/// A variational posterior's Gaussian q(z | x) = N(loc + W·e(x), LLᵀ) (Sbi.Net's <c>GaussianQ</c>, families "gaussian" with
/// L = tril(scale_tril) and "gaussian_diag" with L = diag(exp(log_scale))), in the unconstrained space; e(x) is sbi's
/// Standardize of x. sample: z = mean + ε·Lᵀ; log_prob: −½‖L⁻¹(z − mean)‖² − Σ log |Lᵢᵢ| − (D/2) log 2π, with L⁻¹ computed in
/// float64 at export. Used through <see cref="VariationalExporter"/>, which adds the prior's θ transform.
/// </summary>
internal sealed class GaussianQExporter : IGraphExporter
{
    /// <inheritdoc />
    public JsonObject Describe(EstimatorModel m) => new() { ["covariance"] = m.Estimator == "gaussian" ? "full" : "diagonal" };

    /// <inheritdoc />
    public JsonObject DescribeZScore(EstimatorModel m) => ZScoreManifest.Mdn(m);

    /// <inheritdoc />
    public ExportedGraphs Build(EstimatorModel m, ExportOptions options)
    {
        int d = m.D;
        var loc = m.F("loc", d);
        var w = m.F("context_weight", d * m.C);
        var l = Factor(m);
        float logDet = 0;
        for (int i = 0; i < d; i++) logDet += MathF.Log(MathF.Abs(l[i * d + i]));
        var lT = new float[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) lT[j * d + i] = l[i * d + j];

        var sg = new OnnxGraphBuilder("gaussian_q_sample");
        var (xs, noise, sSpecs) = SampleInputs(sg, m);
        var mean = sg.Unsqueeze(sg.Linear(EmbedX(sg, xs, m, "_embedding_net."), w, d, m.C, loc, "mean"), 1);     // [B, 1, D]
        var z = sg.Add(mean, sg.MatMul(noise, sg.Const(lT, new long[] { d, d }, "scale_tril_t")));
        var sOut = SampleOutput(sg, z, m);

        var lp = new OnnxGraphBuilder("gaussian_q_log_prob");
        var (theta, x, lpSpecs) = LogProbInputs(lp, m);
        var diff = lp.Sub(theta, lp.Linear(EmbedX(lp, x, m, "_embedding_net."), w, d, m.C, loc, "mean"));
        var inv = InverseLowerTriangular(l, d);
        var invT = new float[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) invT[j * d + i] = (float)inv[i * d + j];
        var white = lp.MatMul(diff, lp.Const(invT, new long[] { d, d }, "inv_scale_t"));
        var quad = lp.Mul(lp.ReduceSum(lp.Mul(white, white), 1, keepDims: false), lp.Scalar(-0.5f));
        var lpOut = LogProbOutput(lp, lp.Sub(quad, lp.Scalar(logDet + d * HalfLog2Pi)));
        return new ExportedGraphs(sg.ToBytes("Sbi.Net Gaussian q sampler"), sSpecs, sOut, lp.ToBytes("Sbi.Net Gaussian q log-density"), lpSpecs, lpOut,
                                  new Dictionary<string, object>());
    }

    /// <summary>L row-major (D × D): tril(scale_tril), or diag(exp(log_scale)).</summary>
    private static float[] Factor(EstimatorModel m)
    {
        int d = m.D;
        var l = new float[d * d];
        if (m.Estimator == "gaussian")
        {
            var s = m.F("scale_tril", d * d);
            for (int i = 0; i < d; i++) for (int j = 0; j <= i; j++) l[i * d + j] = s[i * d + j];
        }
        else
        {
            var s = m.F("log_scale", d);
            for (int i = 0; i < d; i++) l[i * d + i] = MathF.Exp(s[i]);
        }
        return l;
    }

    /// <summary>L⁻¹ of a lower-triangular L by forward substitution in float64.</summary>
    private static double[] InverseLowerTriangular(float[] l, int d)
    {
        var inv = new double[d * d];
        for (int c = 0; c < d; c++)
            for (int i = c; i < d; i++)
            {
                double s = i == c ? 1 : 0;
                for (int k = c; k < i; k++) s -= l[i * d + k] * inv[k * d + c];
                if (l[i * d + i] == 0) throw new ArgumentException($"q's scale factor has a zero diagonal entry ({i}); it is singular.");
                inv[i * d + c] = s / l[i * d + i];
            }
        return inv;
    }
}
