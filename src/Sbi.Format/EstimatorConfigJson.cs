using Sbi.Numpy;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sbi.Format;

/// <summary>
/// <see cref="EstimatorConfig"/> as the snake_case JSON of saved models and of sbi's parity fixtures (<c>config_json</c>:
/// "estimator", "D", "C", "hidden_features", …): the one reader and writer of these fields.
/// </summary>
/// <remarks>
/// Reading rules, for files written by Sbi.Net and by sbi's fixture scripts alike: an absent field takes sbi's default;
/// a null <c>z_score_*</c> is sbi's None (no z-scoring); the MADE mixture's blocks are fixed to 5 by sbi's builder and its
/// components are <c>num_mixture_components</c> (the MDN's <c>num_components</c>).
/// </remarks>
public static class EstimatorConfigJson
{
    /// <summary>Writes the configuration's fields into a JSON object.</summary>
    public static JsonObject ToJson(EstimatorConfig c)
    {
        var j = new JsonObject
        {
            ["estimator"] = c.Estimator,
            ["D"] = c.D,
            ["C"] = c.C,
            ["x_shape"] = new JsonArray(c.XShape.Select(v => (JsonNode)v).ToArray()),
            ["hidden_features"] = c.HiddenFeatures,
            ["num_transforms"] = c.NumTransforms,
            ["num_blocks"] = c.NumBlocks,
            ["num_bins"] = c.NumBins,
            ["tail_bound"] = c.TailBound,
            ["num_components"] = c.NumComponents,
            ["num_mixture_components"] = c.NumComponents,
            ["hidden_layers_spline_context"] = c.HiddenLayersSplineContext,
            ["dropout_probability"] = c.DropoutProbability,
            ["z_score_theta"] = c.ZScoreTheta.ToSbiString(),
            ["z_score_x"] = c.ZScoreX.ToSbiString(),
            ["embedding_net"] = c.EmbeddingNet,
        };
        if (c.Options is not null) j["options"] = c.Options.DeepClone();
        return j;
    }

    /// <summary>Reads a configuration; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="SbiDataException">a required field is missing or a field has the wrong type.</exception>
    public static EstimatorConfig FromJson(JsonElement j, string source)
    {
        if (j.ValueKind != JsonValueKind.Object) throw new SbiDataException(null, $"{source}: config_json is not a JSON object.");
        string estimator = Str(j, "estimator", source) ?? throw new SbiDataException(null, $"{source}: config_json has no \"estimator\".");
        int d = Int(j, "D", source) ?? throw new SbiDataException(null, $"{source}: config_json has no \"D\".");
        int c = Int(j, "C", source) ?? throw new SbiDataException(null, $"{source}: config_json has no \"C\".");
        var xShape = j.TryGetProperty("x_shape", out var xs) && xs.ValueKind == JsonValueKind.Array
            ? xs.EnumerateArray().Select(e => e.GetInt64()).ToArray() : new long[] { c };
        bool made = estimator == "made";
        return new EstimatorConfig
        {
            Estimator = estimator,
            D = d,
            C = c,
            XShape = xShape,
            HiddenFeatures = Int(j, "hidden_features", source) ?? EstimatorDefaults.HiddenFeatures,
            NumTransforms = Int(j, "num_transforms", source) ?? EstimatorDefaults.NumTransforms,
            NumBlocks = EstimatorDefaults.BlocksFor(estimator, Int(j, "num_blocks", source)),
            NumBins = Int(j, "num_bins", source) ?? EstimatorDefaults.NumBins,
            TailBound = Num(j, "tail_bound", source) ?? EstimatorDefaults.TailBound,
            NumComponents = (made ? Int(j, "num_mixture_components", source) ?? Int(j, "num_components", source)
                                  : Int(j, "num_components", source)) ?? EstimatorDefaults.NumComponents,
            HiddenLayersSplineContext = Int(j, "hidden_layers_spline_context", source) ?? EstimatorDefaults.HiddenLayersSplineContext,
            DropoutProbability = Num(j, "dropout_probability", source) ?? 0.0,
            ZScoreTheta = ZScore(j, "z_score_theta", source),
            ZScoreX = ZScore(j, "z_score_x", source),
            EmbeddingNet = Str(j, "embedding_net", source) ?? EstimatorDefaults.IdentityEmbedding,
            Options = j.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object ? JsonNode.Parse(o.GetRawText())!.AsObject() : null,
        };
    }

    /// <summary>Reads a configuration from JSON text.</summary>
    public static EstimatorConfig FromJson(string json, string source)
    {
        using var doc = Parse(json, source);
        return FromJson(doc.RootElement, source);
    }

    /// <summary>Parses JSON text, naming <paramref name="source"/> when it is not JSON.</summary>
    public static JsonDocument Parse(string json, string source)
    {
        try { return JsonDocument.Parse(json); }
        catch (JsonException e) { throw new SbiDataException(null, $"{source}: config_json is not valid JSON: {e.Message}", e); }
    }

    // Absent: sbi's default (independent); null: sbi's None.
    private static ZScoreMode ZScore(JsonElement j, string name, string source)
    {
        if (!j.TryGetProperty(name, out var v)) return ZScoreMode.Independent;
        if (v.ValueKind == JsonValueKind.Null) return ZScoreMode.None;
        try { return ZScoreModes.Parse(Str(j, name, source), name); }
        catch (ArgumentException e) { throw new SbiDataException(null, $"{source}: {e.Message}", e); }
    }

    private static int? Int(JsonElement j, string name, string source)
    {
        if (!j.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
            : throw new SbiDataException(null, $"{source}: config_json field \"{name}\" must be an integer; got {v.GetRawText()}.");
    }

    private static double? Num(JsonElement j, string name, string source)
    {
        if (!j.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : throw new SbiDataException(null, $"{source}: config_json field \"{name}\" must be a number; got {v.GetRawText()}.");
    }

    private static string? Str(JsonElement j, string name, string source)
    {
        if (!j.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw new SbiDataException(null, $"{source}: config_json field \"{name}\" must be a string; got {v.ValueKind}.");
    }
}
