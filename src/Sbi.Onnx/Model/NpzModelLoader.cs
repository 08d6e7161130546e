using System.Text.Json;

namespace Sbi.Onnx.Model;

/// <summary>
/// Reads an estimator from an .npz holding <c>sd/&lt;sbi key&gt;</c> arrays and a 0-d unicode
/// <c>config_json</c>. Two flavours are accepted: Sbi.Net model files (<c>"format": "sbi-net-model"</c>,
/// <c>"format_version": 1</c>, prior inside the JSON) and sbi's parity fixtures (no format field;
/// BoxUniform prior in the arrays <c>prior_low</c>/<c>prior_high</c>).
/// </summary>
public static class NpzModelLoader
{
    /// <summary>Format name written by Sbi.Net.</summary>
    public const string FormatName = "sbi-net-model";

    /// <summary>Highest model-file format version understood.</summary>
    public const int FormatVersion = 1;

    /// <summary>Loads and validates a model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an npz, lacks config_json, or has an unknown format/version.</exception>
    public static EstimatorModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var arrays = NpzReader.ReadAll(path);
        if (!arrays.TryGetValue("config_json", out var cfgArr))
            throw new InvalidDataException($"'{path}' has no 'config_json' entry; it is not an sbi / Sbi.Net model file.");
        JsonElement cfg;
        try { cfg = JsonDocument.Parse(cfgArr.AsString()).RootElement; }
        catch (JsonException e) { throw new InvalidDataException($"'{path}': config_json is not valid JSON: {e.Message}", e); }

        if (cfg.TryGetProperty("format", out var fmt))
        {
            if (fmt.GetString() != FormatName)
                throw new InvalidDataException($"'{path}': format '{fmt.GetString()}' is not '{FormatName}'.");
            int version = cfg.TryGetProperty("format_version", out var fv) ? fv.GetInt32() : -1;
            if (version < 1 || version > FormatVersion)
                throw new InvalidDataException($"'{path}': model format version {version} is not supported (this build reads versions 1..{FormatVersion}).");
        }

        var sd = new Dictionary<string, WeightArray>(StringComparer.Ordinal);
        foreach (var (name, a) in arrays)
        {
            if (!name.StartsWith("sd/", StringComparison.Ordinal)) continue;
            sd[name[3..]] = a.I64 != null ? WeightArray.FromInts(a.I64, a.Shape) : WeightArray.FromFloats(a.AsFloats(), a.Shape);
        }

        string kind = Str(cfg, "estimator", path);
        int d = Int(cfg, "D", path), c = Int(cfg, "C", path);
        var model = new EstimatorModel
        {
            Kind = kind,
            D = d,
            C = c,
            HiddenFeatures = OptInt(cfg, "hidden_features") ?? 50,
            NumTransforms = OptInt(cfg, "num_transforms") ?? 5,
            // sbi's made builder fixes 5 residual blocks whatever the config says.
            NumBlocks = kind == "made" ? 5 : OptInt(cfg, "num_blocks") ?? 2,
            NumBins = OptInt(cfg, "num_bins") ?? 10,
            TailBound = cfg.TryGetProperty("tail_bound", out var tb) && tb.ValueKind == JsonValueKind.Number ? tb.GetSingle() : 3.0f,
            NumComponents = (kind == "made" ? OptInt(cfg, "num_mixture_components") : OptInt(cfg, "num_components")) ?? 10,
            ZScoreTheta = ZMode(cfg, "z_score_theta"),
            ZScoreX = ZMode(cfg, "z_score_x"),
            StateDict = sd,
            Prior = ReadPrior(cfg, arrays, d, path),
        };
        model.Validate();
        return model;
    }

    private static PriorSpec ReadPrior(JsonElement cfg, Dictionary<string, NpyData> arrays, int d, string path)
    {
        if (cfg.TryGetProperty("prior", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            string kind = Str(p, "kind", path);
            return kind switch
            {
                "box_uniform" => new BoxUniformPrior(Floats(p, "low", path), Floats(p, "high", path)),
                "multivariate_normal" => new MultivariateNormalPrior(Floats(p, "loc", path), Matrix(p, "covariance_matrix", path)),
                _ => throw new InvalidDataException($"'{path}': prior kind '{kind}' is not supported (box_uniform, multivariate_normal)."),
            };
        }
        if (arrays.TryGetValue("prior_low", out var lo) && arrays.TryGetValue("prior_high", out var hi))
            return new BoxUniformPrior(lo.AsFloats(), hi.AsFloats());
        throw new InvalidDataException($"'{path}' describes no prior (neither config_json.prior nor prior_low/prior_high).");
    }

    private static string ZMode(JsonElement cfg, string key) =>
        cfg.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : v.ValueKind == JsonValueKind.Null ? "none" : "independent";

    private static string Str(JsonElement e, string key, string path) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"'{path}': config field '{key}' is missing or not a string.");

    private static int Int(JsonElement e, string key, string path) =>
        OptInt(e, key) ?? throw new InvalidDataException($"'{path}': config field '{key}' is missing or not an integer.");

    private static int? OptInt(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static float[] Floats(JsonElement e, string key, string path) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetSingle()).ToArray()
            : throw new InvalidDataException($"'{path}': prior field '{key}' is missing or not an array.");

    private static float[,] Matrix(JsonElement e, string key, string path)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{path}': prior field '{key}' is missing or not a nested array.");
        var rows = v.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        var m = new float[rows.Length, rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != rows.Length) throw new InvalidDataException($"'{path}': prior '{key}' is not square.");
            for (int j = 0; j < rows.Length; j++) m[i, j] = rows[i][j];
        }
        return m;
    }
}
