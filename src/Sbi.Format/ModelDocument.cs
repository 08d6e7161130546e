using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Numpy;

namespace Sbi.Format;

/// <summary>
/// The JSON part of Sbi.Net's model file (its <c>config_json</c> member): format name and version, the estimator
/// configuration (sbi's field names), the prior and the default x. sbi's parity fixtures share the layout without the
/// format fields and with a BoxUniform prior as the arrays <c>prior_low</c>/<c>prior_high</c>.
/// </summary>
public sealed record ModelDocument(EstimatorConfig Config, PriorSpec? Prior, float[]? DefaultX)
{
    /// <summary>The format name written into <c>config_json</c>.</summary>
    public const string FormatName = "sbi-net-model";

    /// <summary>The newest format version this build reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The archive member holding the JSON text.</summary>
    public const string ConfigMember = "config_json";

    /// <summary>The prefix of the state-dict members (<c>sd/&lt;sbi key&gt;</c>).</summary>
    public const string StateDictPrefix = "sd/";

    /// <summary>
    /// The <c>config_json</c> field mapping each other member (npz key) to the SHA-256 of its <c>.npy</c> bytes.
    /// An optional field, so <see cref="FormatVersion"/> stays 1: older builds read files that carry it (they ignore
    /// unknown fields) and this build reads files without it (with a note), so no reader is refused for its sake.
    /// </summary>
    public const string DigestsField = "member_sha256";

    /// <summary>Member (npz key, e.g. <c>sd/net…</c>) → SHA-256 hex of its <c>.npy</c> bytes; null in files written before digests.</summary>
    public IReadOnlyDictionary<string, string>? MemberSha256 { get; init; }

    /// <summary>Whether the JSON named Sbi.Net's format (false for sbi's parity fixtures, which never carry digests).</summary>
    public bool IsSbiNetFile { get; init; }

    /// <summary>The JSON object written as <c>config_json</c>; <paramref name="writer"/> names the program and version.</summary>
    public JsonObject ToJson(string? writer = null)
    {
        var j = EstimatorConfigJson.ToJson(Config);
        j["format"] = FormatName;
        j["format_version"] = FormatVersion;
        if (Prior is not null) j["prior"] = Prior.ToJson();
        if (DefaultX is not null) j["default_x"] = new JsonArray(DefaultX.Select(v => (JsonNode)(double)v).ToArray());
        if (writer is not null) j["sbi_net_version"] = writer;
        if (MemberSha256 is not null)
            j[DigestsField] = new JsonObject(MemberSha256.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        return j;
    }

    /// <summary>
    /// Reads the document; a file without "format" is an sbi fixture (accepted), another format name or a newer
    /// version is refused. <paramref name="fallbackPrior"/> is used when the JSON holds no prior.
    /// </summary>
    public static ModelDocument FromJson(string json, string source, PriorSpec? fallbackPrior = null)
    {
        using var doc = EstimatorConfigJson.Parse(json, source);
        var j = doc.RootElement;
        JsonElement fmt = default;
        bool sbiNet = j.ValueKind == JsonValueKind.Object && j.TryGetProperty("format", out fmt);
        if (sbiNet)
        {
            if (fmt.ValueKind != JsonValueKind.String || fmt.GetString() != FormatName)
                throw new SbiDataException(null, $"{source}: format '{fmt}' is not '{FormatName}'.");
            int version = j.TryGetProperty("format_version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : -1;
            if (version < 1 || version > FormatVersion)
                throw new SbiDataException(null, $"{source}: model format version {version} is not supported; this build reads versions 1 to {FormatVersion}.");
        }
        var config = EstimatorConfigJson.FromJson(j, source);
        var prior = j.TryGetProperty("prior", out var p) && p.ValueKind == JsonValueKind.Object ? PriorSpec.FromJson(p, source) : fallbackPrior;
        float[]? defaultX = null;
        if (j.TryGetProperty("default_x", out var dx) && dx.ValueKind == JsonValueKind.Array)
        {
            defaultX = dx.EnumerateArray().Select(e => e.GetSingle()).ToArray();
            long expected = config.XShape.Aggregate(1L, (a, b) => a * b);
            if (defaultX.Length != expected)
                throw new SbiDataException(null, $"{source}: default_x has {defaultX.Length} values; x_shape ({string.Join(", ", config.XShape)}) needs {expected}.");
        }
        if (prior is not null && prior.D != config.D)
            throw new SbiDataException(null, $"{source}: the prior has dimension {prior.D} but the estimator has D = {config.D}.");
        return new ModelDocument(config, prior, defaultX) { MemberSha256 = ReadDigests(j, source), IsSbiNetFile = sbiNet };
    }

    private static Dictionary<string, string>? ReadDigests(JsonElement j, string source)
    {
        if (!j.TryGetProperty(DigestsField, out var d) || d.ValueKind == JsonValueKind.Null) return null;
        if (d.ValueKind != JsonValueKind.Object) throw new SbiDataException(source, $"config_json field \"{DigestsField}\" must be an object (member → SHA-256 hex); got {d.ValueKind}.");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in d.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: 64 } hex || !hex.All(Uri.IsHexDigit))
                throw new SbiDataException(source, $"config_json \"{DigestsField}\" entry '{p.Name}' must be 64 hex digits; got {p.Value.GetRawText()}.");
            map[p.Name] = hex;
        }
        return map;
    }
}
