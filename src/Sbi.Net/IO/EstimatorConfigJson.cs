using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Estimators;

namespace Sbi.IO;

/// <summary>
/// <see cref="EstimatorConfig"/> as the snake_case JSON used in saved models and in sbi's parity fixtures
/// (<c>config_json</c>: "estimator", "D", "C", "hidden_features", "num_transforms", …).
/// </summary>
public static class EstimatorConfigJson
{
    /// <summary>Writes the configuration's fields into a JSON object.</summary>
    public static JsonObject ToJson(EstimatorConfig c) => new()
    {
        ["estimator"] = c.Kind,
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

    /// <summary>Reads a configuration; fields absent from sbi's fixtures take sbi's defaults for the estimator kind.</summary>
    public static EstimatorConfig FromJson(JsonElement j, string source)
    {
        string kind = Str(j, "estimator", source) ?? throw new InvalidDataException($"{source}: config_json has no \"estimator\".");
        int d = Int(j, "D") ?? throw new InvalidDataException($"{source}: config_json has no \"D\".");
        int c = Int(j, "C") ?? throw new InvalidDataException($"{source}: config_json has no \"C\".");
        var xShape = j.TryGetProperty("x_shape", out var xs) ? xs.EnumerateArray().Select(e => e.GetInt64()).ToArray() : new long[] { c };
        return new EstimatorConfig
        {
            Kind = kind,
            D = d,
            C = c,
            XShape = xShape,
            HiddenFeatures = Int(j, "hidden_features") ?? 50,
            NumTransforms = Int(j, "num_transforms") ?? 5,
            NumBlocks = Int(j, "num_blocks") ?? PosteriorNn.DefaultBlocks(kind),
            NumBins = Int(j, "num_bins") ?? 10,
            TailBound = j.TryGetProperty("tail_bound", out var tb) ? tb.GetDouble() : 3.0,
            NumComponents = Int(j, "num_components") ?? Int(j, "num_mixture_components") ?? 10,
            HiddenLayersSplineContext = Int(j, "hidden_layers_spline_context") ?? 1,
            DropoutProbability = j.TryGetProperty("dropout_probability", out var dp) ? dp.GetDouble() : 0.0,
            ZScoreTheta = ZScoreModes.Parse(Str(j, "z_score_theta", source) ?? "independent", "z_score_theta"),
            ZScoreX = ZScoreModes.Parse(Str(j, "z_score_x", source) ?? "independent", "z_score_x"),
            EmbeddingNet = Str(j, "embedding_net", source) ?? "Identity",
        };
    }

    private static int? Int(JsonElement j, string name) => j.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static string? Str(JsonElement j, string name, string source)
    {
        if (!j.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new InvalidDataException($"{source}: config_json field \"{name}\" must be a string; got {v.ValueKind}.");
    }
}
