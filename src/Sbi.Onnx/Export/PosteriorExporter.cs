using System.Text.Json.Nodes;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using Sbi.Onnx.Package;

namespace Sbi.Onnx.Export;

/// <summary>
/// Writes a self-contained posterior package: <c>sample.onnx</c>, <c>log_prob.onnx</c> and
/// <c>manifest.json</c> (see <see cref="PosteriorManifest"/>). The graphs take dynamic batch sizes.
/// sample.onnx: inputs <c>x</c> [B, C] and random inputs [B, S, ·] listed in the manifest (standard
/// normal noise; for mdn/made also uniforms), output <c>theta</c> [B, S, D].
/// log_prob.onnx: inputs <c>theta</c> [N, D], <c>x</c> [N, C], output <c>log_prob</c> [N]: the raw
/// estimator density in θ units (z-scoring log-determinant included), without prior masking or
/// leakage correction — <see cref="Runtime.OnnxPosterior"/> adds those.
/// </summary>
public static class PosteriorExporter
{
    /// <summary>Graph file names inside a package.</summary>
    public const string SampleFile = "sample.onnx", LogProbFile = "log_prob.onnx";

    /// <summary>Exports <paramref name="model"/> into <paramref name="packageDir"/> (created if needed, files overwritten).</summary>
    /// <returns>The manifest that was written.</returns>
    public static PosteriorManifest Export(EstimatorModel model, string packageDir, ExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(packageDir);
        model.Validate();
        options ??= new ExportOptions();
        IGraphExporter exporter = model.Kind switch
        {
            "maf" => new MafExporter(),
            "nsf" => new NsfExporter(),
            "mdn" => new MdnExporter(),
            "made" => new MadeMixtureExporter(),
            _ => throw new NotSupportedException($"Export of '{model.Kind}' estimators is not implemented yet."),
        };
        var graphs = exporter.Build(model, options);

        var manifest = new PosteriorManifest
        {
            D = model.D,
            C = model.C,
            Estimator = EstimatorJson(model),
            Prior = PosteriorManifest.PriorJson(model.Prior),
            ZScore = ZScoreJson(model),
            Sample = new GraphManifest(SampleFile, graphs.SampleInputs.Select(TensorSpecJson.From).ToList(), TensorSpecJson.From(graphs.SampleOutput)),
            LogProb = new GraphManifest(LogProbFile, graphs.LogProbInputs.Select(TensorSpecJson.From).ToList(), TensorSpecJson.From(graphs.LogProbOutput)),
            Opset = OnnxGraphBuilder.Opset,
            IrVersion = OnnxGraphBuilder.IrVersion,
            Notes = new JsonObject(graphs.Notes.Select(kv => KeyValuePair.Create(kv.Key, JsonValue.Create(kv.Value) as JsonNode))),
        };
        Directory.CreateDirectory(packageDir);
        File.WriteAllBytes(Path.Combine(packageDir, SampleFile), graphs.SampleOnnx);
        File.WriteAllBytes(Path.Combine(packageDir, LogProbFile), graphs.LogProbOnnx);
        // The manifest goes last: a package with a manifest is complete.
        File.WriteAllText(Path.Combine(packageDir, PosteriorManifest.FileName), manifest.ToJson());
        return manifest;
    }

    private static JsonObject EstimatorJson(EstimatorModel m)
    {
        var o = new JsonObject { ["kind"] = m.Kind, ["hidden_features"] = m.HiddenFeatures };
        switch (m.Kind)
        {
            case "maf":
                o["num_transforms"] = m.NumTransforms; o["num_blocks"] = m.NumBlocks; break;
            case "nsf":
                o["num_transforms"] = m.NumTransforms; o["num_blocks"] = m.NumBlocks; o["num_bins"] = m.NumBins; o["tail_bound"] = m.TailBound; break;
            case "mdn":
                o["num_components"] = m.NumComponents; break;
            case "made":
                o["num_blocks"] = m.NumBlocks; o["num_mixture_components"] = m.NumComponents; break;
        }
        return o;
    }

    private static JsonObject ZScoreJson(EstimatorModel m)
    {
        var theta = new JsonObject { ["mode"] = m.ZScoreTheta };
        if (m.ThetaZScored)
        {
            if (m.Kind == "mdn")
            {
                theta["mean"] = PosteriorManifest.Arr(m.PerFeature("_transform_shift", m.D));
                theta["std"] = PosteriorManifest.Arr(m.PerFeature("_transform_scale", m.D));
            }
            else
            {
                var shift = m.PerFeature("net._transform._transforms.0._shift", m.D);
                var scale = m.PerFeature("net._transform._transforms.0._scale", m.D);
                theta["mean"] = PosteriorManifest.Arr(shift.Select((s, i) => -s / scale[i]));
                theta["std"] = PosteriorManifest.Arr(scale.Select(s => 1 / s));
            }
        }
        var x = new JsonObject { ["mode"] = m.ZScoreX };
        if (m.XZScored)
        {
            string p = m.Kind == "mdn" ? "_embedding_net.0." : "net._embedding_net.0.";
            x["mean"] = PosteriorManifest.Arr(m.PerFeature(p + "_mean", m.C));
            x["std"] = PosteriorManifest.Arr(m.PerFeature(p + "_std", m.C));
        }
        return new JsonObject { ["theta"] = theta, ["x"] = x };
    }
}
