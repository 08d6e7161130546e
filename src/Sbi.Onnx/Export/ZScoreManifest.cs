using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Model;
using Sbi.Onnx.Package;

namespace Sbi.Onnx.Export;

/// <summary>
/// The manifest's "z_score" object for the two state-dict layouts sbi uses: nflows flows (θ z-scored by the first
/// transform, a <c>PointwiseAffineTransform</c> with shift and scale; x by the embedding's <c>Standardize</c>), and the
/// MDN (θ statistics in <c>_transform_shift/_scale</c>, x in <c>_embedding_net.0</c>).
/// </summary>
public static class ZScoreManifest
{
    /// <summary>The nflows-flow layout (maf, nsf, and the MADE mixture's embedding).</summary>
    public static JsonObject Flow(EstimatorModel m) => Describe(m, "net._embedding_net.0.", (theta) =>
    {
        // The transform computes (θ − mean)/std as θ·scale + shift: mean = −shift/scale, std = 1/scale.
        var shift = m.PerFeature("net._transform._transforms.0._shift", m.D);
        var scale = m.PerFeature("net._transform._transforms.0._scale", m.D);
        theta["mean"] = PosteriorManifest.Arr(shift.Select((s, i) => -s / scale[i]));
        theta["std"] = PosteriorManifest.Arr(scale.Select(s => 1 / s));
    });

    /// <summary>sbi's MDN layout.</summary>
    public static JsonObject Mdn(EstimatorModel m) => Describe(m, "_embedding_net.0.", (theta) =>
    {
        theta["mean"] = PosteriorManifest.Arr(m.PerFeature("_transform_shift", m.D));
        theta["std"] = PosteriorManifest.Arr(m.PerFeature("_transform_scale", m.D));
    });

    private static JsonObject Describe(EstimatorModel m, string xPrefix, Action<JsonObject> thetaStatistics)
    {
        var theta = new JsonObject { ["mode"] = m.Config.ZScoreTheta.ToSbiString() };
        if (m.ThetaZScored) thetaStatistics(theta);
        var x = new JsonObject { ["mode"] = m.Config.ZScoreX.ToSbiString() };
        if (m.XZScored)
        {
            x["mean"] = PosteriorManifest.Arr(m.PerFeature(xPrefix + "_mean", m.C));
            x["std"] = PosteriorManifest.Arr(m.PerFeature(xPrefix + "_std", m.C));
        }
        return new JsonObject { ["theta"] = theta, ["x"] = x };
    }
}
