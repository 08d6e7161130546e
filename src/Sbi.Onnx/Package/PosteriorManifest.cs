using Sbi.Numpy;
using Sbi.Format;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;

namespace Sbi.Onnx.Package;

/// <summary>Interface of one graph file in a posterior package.</summary>
public sealed record GraphManifest(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("inputs")] IReadOnlyList<TensorSpecJson> Inputs,
    [property: JsonPropertyName("output")] TensorSpecJson Output);

/// <summary>JSON form of a <see cref="TensorSpec"/>: shape entries are numbers or symbolic names.</summary>
public sealed record TensorSpecJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("shape")] IReadOnlyList<JsonNode> Shape)
{
    internal static TensorSpecJson From(TensorSpec s) =>
        new(s.Name, s.Role, s.Shape.Select(d => d is string str ? (JsonNode)JsonValue.Create(str)! : JsonValue.Create(Convert.ToInt64(d))!).ToList());

    /// <summary>Size of the fixed last axis.</summary>
    [JsonIgnore]
    public int EventSize => Shape[^1].GetValueKind() == JsonValueKind.Number ? (int)Shape[^1].GetValue<long>()
        : throw new SbiDataException(null, $"Graph tensor '{Name}' has a symbolic last axis.");
}

/// <summary>
/// <c>manifest.json</c> of a posterior package: everything a consumer needs besides the two graphs.
/// </summary>
public sealed class PosteriorManifest
{
    /// <summary>Value of <see cref="Format"/>.</summary>
    public const string FormatName = "sbi-onnx-posterior";

    /// <summary>Version written by this build (and the highest one it reads).</summary>
    public const int CurrentVersion = 1;

    /// <summary>File name inside the package directory.</summary>
    public const string FileName = "manifest.json";

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("D")] public int D { get; init; }
    [JsonPropertyName("C")] public int C { get; init; }
    /// <summary>Estimator kind and hyper-parameters.</summary>
    [JsonPropertyName("estimator")] public JsonObject Estimator { get; init; } = new();
    /// <summary>Prior: kind plus low/high (box_uniform) or loc/covariance_matrix (multivariate_normal).</summary>
    [JsonPropertyName("prior")] public JsonObject Prior { get; init; } = new();
    /// <summary>z-scoring modes and statistics (mean, std) of θ and x, for information.</summary>
    [JsonPropertyName("z_score")] public JsonObject ZScore { get; init; } = new();
    [JsonPropertyName("sample")] public GraphManifest Sample { get; init; } = null!;
    [JsonPropertyName("log_prob")] public GraphManifest LogProb { get; init; } = null!;
    [JsonPropertyName("opset")] public long Opset { get; init; }
    [JsonPropertyName("ir_version")] public long IrVersion { get; init; }
    /// <summary>Free-form export notes (e.g. FLOPs per sample).</summary>
    [JsonPropertyName("notes")] public JsonObject Notes { get; init; } = new();
    /// <summary>
    /// File name → SHA-256 hex of its bytes, for every graph file; null in packages written before digests. An optional
    /// field, so <see cref="CurrentVersion"/> stays 1: older readers ignore it and this build reads packages without it.
    /// </summary>
    [JsonPropertyName("sha256")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Sha256 { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Serialises to indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads and checks a manifest file.</summary>
    /// <exception cref="FileNotFoundException">No manifest in the directory.</exception>
    /// <exception cref="SbiDataException">Not valid JSON, wrong format name, unsupported version, or missing fields.</exception>
    public static PosteriorManifest Load(string packageDir)
    {
        string path = Path.Combine(packageDir, FileName);
        if (!Directory.Exists(packageDir)) throw new DirectoryNotFoundException($"Posterior package directory '{packageDir}' does not exist.");
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"Posterior package '{packageDir}' has no {FileName}.", path);
        PosteriorManifest? m;
        try { m = JsonSerializer.Deserialize<PosteriorManifest>(System.IO.File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new SbiDataException(null, $"'{path}' is not a valid posterior manifest: {e.Message}", e); }
        if (m == null) throw new SbiDataException(null, $"'{path}' is empty.");
        if (m.Format != FormatName) throw new SbiDataException(null, $"'{path}': format '{m.Format}' is not '{FormatName}'.");
        if (m.FormatVersion < 1 || m.FormatVersion > CurrentVersion)
            throw new SbiDataException(null, $"'{path}': package format version {m.FormatVersion} is not supported (this build reads 1..{CurrentVersion}).");
        if (m.D < 1 || m.C < 1 || m.Sample == null || m.LogProb == null)
            throw new SbiDataException(null, $"'{path}' lacks D, C or the sample/log_prob graph descriptions.");
        return m;
    }

    /// <summary>Rebuilds the prior from the manifest.</summary>
    public PriorSpec ReadPrior() => PriorSpec.FromJson(Prior, "manifest prior");

    /// <summary>The estimator family ("estimator"; packages written before the field was renamed say "kind").</summary>
    public string EstimatorName => (Estimator["estimator"] ?? Estimator["kind"])?.GetValue<string>() ?? "";

    internal static JsonArray Arr(IEnumerable<float> v) => new(v.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());
}
