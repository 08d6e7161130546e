using System.Text.Json;
using System.Text.Json.Nodes;

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

    /// <summary>The JSON object written as <c>config_json</c>; <paramref name="writer"/> names the program and version.</summary>
    public JsonObject ToJson(string? writer = null)
    {
        var j = EstimatorConfigJson.ToJson(Config);
        j["format"] = FormatName;
        j["format_version"] = FormatVersion;
        if (Prior is not null) j["prior"] = Prior.ToJson();
        if (DefaultX is not null) j["default_x"] = new JsonArray(DefaultX.Select(v => (JsonNode)(double)v).ToArray());
        if (writer is not null) j["sbi_net_version"] = writer;
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
        if (j.ValueKind == JsonValueKind.Object && j.TryGetProperty("format", out var fmt))
        {
            if (fmt.ValueKind != JsonValueKind.String || fmt.GetString() != FormatName)
                throw new InvalidDataException($"{source}: format '{fmt}' is not '{FormatName}'.");
            int version = j.TryGetProperty("format_version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : -1;
            if (version < 1 || version > FormatVersion)
                throw new InvalidDataException($"{source}: model format version {version} is not supported; this build reads versions 1 to {FormatVersion}.");
        }
        var config = EstimatorConfigJson.FromJson(j, source);
        var prior = j.TryGetProperty("prior", out var p) && p.ValueKind == JsonValueKind.Object ? PriorSpec.FromJson(p, source) : fallbackPrior;
        float[]? defaultX = null;
        if (j.TryGetProperty("default_x", out var dx) && dx.ValueKind == JsonValueKind.Array)
        {
            defaultX = dx.EnumerateArray().Select(e => e.GetSingle()).ToArray();
            long expected = config.XShape.Aggregate(1L, (a, b) => a * b);
            if (defaultX.Length != expected)
                throw new InvalidDataException($"{source}: default_x has {defaultX.Length} values; x_shape ({string.Join(", ", config.XShape)}) needs {expected}.");
        }
        if (prior is not null && prior.D != config.D)
            throw new InvalidDataException($"{source}: the prior has dimension {prior.D} but the estimator has D = {config.D}.");
        return new ModelDocument(config, prior, defaultX);
    }
}
