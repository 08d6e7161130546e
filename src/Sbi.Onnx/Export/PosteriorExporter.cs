using Sbi.Format;
using System.Text.Json.Nodes;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using Sbi.Onnx.Package;
using Sbi.Numpy;

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

    /// <summary>
    /// Exports <paramref name="model"/> into <paramref name="packageDir"/>. The package is replaced as a whole: the new
    /// one is written into a sibling folder, then swapped in (the old folder renamed away, the new one renamed in, the old
    /// one deleted), so an export that fails or is killed leaves the old package or the new one, never a mix. An existing
    /// <paramref name="packageDir"/> must be a package (it has a manifest) or empty: other folders are not replaced.
    /// </summary>
    /// <returns>The manifest that was written.</returns>
    /// <exception cref="SbiDataException">a weight is not finite, or a size field is out of range for the weights.</exception>
    /// <exception cref="IOException"><paramref name="packageDir"/> exists and is neither a package nor empty.</exception>
    public static PosteriorManifest Export(EstimatorModel model, string packageDir, ExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(packageDir);
        model.Validate();
        ConfigBounds.Check(model.Config, model.StateDict.Values.Select(a => a.Shape).ToList(), "model to export");
        model.RequireFiniteWeights("model to export");
        options ??= new ExportOptions();
        var exporter = OnnxExporters.Get(model.Estimator);
        var graphs = exporter.Build(model, options);
        var estimator = exporter.Describe(model);
        estimator.Insert(0, "estimator", model.Estimator);
        // The graphs' own constants are checked too: an exporter folding weights could still produce a NaN.
        PackageFiles.RequireFiniteInitializers(graphs.SampleOnnx, SampleFile);
        PackageFiles.RequireFiniteInitializers(graphs.LogProbOnnx, LogProbFile);

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
            Sha256 = new Dictionary<string, string>
            {
                [SampleFile] = MemberDigests.Of(graphs.SampleOnnx),
                [LogProbFile] = MemberDigests.Of(graphs.LogProbOnnx),
            },
        };
        PackageSwap.Replace(packageDir, staging =>
        {
            File.WriteAllBytes(Path.Combine(staging, SampleFile), graphs.SampleOnnx);
            Fault?.Invoke("graphs-written");
            File.WriteAllBytes(Path.Combine(staging, LogProbFile), graphs.LogProbOnnx);
            File.WriteAllText(Path.Combine(staging, PosteriorManifest.FileName), manifest.ToJson());
        }, Fault);
        return manifest;
    }

    /// <summary>Test hook: called at named points of an export ("graphs-written", "old-moved-away"); throwing there simulates an interruption.</summary>
    [ThreadStatic] internal static Action<string>? Fault;
}
