using Sbi.Format;
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
        var exporter = OnnxExporters.Get(model.Estimator);
        var graphs = exporter.Build(model, options);
        var estimator = exporter.Describe(model);
        estimator.Insert(0, "estimator", model.Estimator);

        var manifest = new PosteriorManifest
        {
            D = model.D,
            C = model.C,
            Estimator = estimator,
            Prior = model.Prior.ToJson(),
            ZScore = exporter.DescribeZScore(model),
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
}
