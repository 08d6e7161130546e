using Sbi.Numpy;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sbi.Format;

/// <summary>
/// A prior as saved with a model, as plain data: what the support is (rejection sampling keeps θ inside it) and the
/// parameters to rebuild it. The TorchSharp distributions (Sbi.Distributions) convert to and from these.
/// JSON: {"kind": "box_uniform", "low", "high"} or {"kind": "multivariate_normal", "loc", "covariance_matrix"}.
/// </summary>
public abstract record PriorSpec
{
    /// <summary>Dimension of θ.</summary>
    public abstract int D { get; }

    /// <summary>The JSON "kind" ("box_uniform" or "multivariate_normal").</summary>
    public abstract string Kind { get; }

    /// <summary>True when θ (length D) lies in the support. sbi's BoxUniform support is the closed box.</summary>
    public abstract bool InSupport(ReadOnlySpan<float> theta);

    /// <summary>The prior's JSON object.</summary>
    public abstract JsonObject ToJson();

    /// <summary>Reads a prior's JSON object; <paramref name="source"/> names the file in errors.</summary>
    public static PriorSpec FromJson(JsonElement j, string source)
    {
        string kind = j.ValueKind == JsonValueKind.Object && j.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
        try
        {
            return kind switch
            {
                "box_uniform" => new BoxUniformSpec(Floats(j, "low", source), Floats(j, "high", source)),
                "multivariate_normal" => new MultivariateNormalSpec(Floats(j, "loc", source), Matrix(j, "covariance_matrix", source)),
                _ => throw new SbiDataException(null, $"{source}: unknown prior kind '{kind}'; expected box_uniform or multivariate_normal."),
            };
        }
        catch (ArgumentException e) { throw new SbiDataException(null, $"{source}: invalid prior: {e.Message}", e); }
    }

    /// <summary>Reads a prior from a JSON node.</summary>
    public static PriorSpec FromJson(JsonNode node, string source)
    {
        using var doc = JsonDocument.Parse(node.ToJsonString());
        return FromJson(doc.RootElement, source);
    }

    /// <summary>A float array as JSON numbers (float32 values written exactly as doubles).</summary>
    protected static JsonArray Array(IEnumerable<float> v) => new(v.Select(x => (JsonNode)(double)x).ToArray());

    private static float[] Floats(JsonElement e, string key, string source) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetSingle()).ToArray()
            : throw new SbiDataException(null, $"{source}: prior field '{key}' is missing or not an array.");

    private static float[,] Matrix(JsonElement e, string key, string source)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Array)
            throw new SbiDataException(null, $"{source}: prior field '{key}' is missing or not a nested array.");
        var rows = v.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.Array ? r.EnumerateArray().Select(x => x.GetSingle()).ToArray()
            : throw new SbiDataException(null, $"{source}: prior field '{key}' is not a nested array.")).ToArray();
        var m = new float[rows.Length, rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != rows.Length) throw new SbiDataException(null, $"{source}: prior '{key}' is not square.");
            for (int j = 0; j < rows.Length; j++) m[i, j] = rows[i][j];
        }
        return m;
    }
}

/// <summary>sbi's <c>BoxUniform(low, high)</c>: support is the closed box low ≤ θ ≤ high.</summary>
public sealed record BoxUniformSpec : PriorSpec
{
    /// <summary>Creates a box prior; requires finite low &lt; high in every dimension.</summary>
    public BoxUniformSpec(float[] low, float[] high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Length == 0 || low.Length != high.Length)
            throw new ArgumentException($"low and high must have the same positive length (got {low.Length} and {high.Length}).");
        for (int i = 0; i < low.Length; i++)
            if (!(low[i] < high[i]) || !float.IsFinite(low[i]) || !float.IsFinite(high[i]))
                throw new ArgumentException($"BoxUniform needs finite low < high; dimension {i} has low={low[i]}, high={high[i]}.");
        Low = low;
        High = high;
    }

    /// <summary>Lower bounds.</summary>
    public float[] Low { get; }

    /// <summary>Upper bounds.</summary>
    public float[] High { get; }

    /// <inheritdoc />
    public override int D => Low.Length;

    /// <inheritdoc />
    public override string Kind => "box_uniform";

    /// <inheritdoc />
    public override bool InSupport(ReadOnlySpan<float> theta)
    {
        for (int i = 0; i < Low.Length; i++)
            if (!(theta[i] >= Low[i] && theta[i] <= High[i])) return false; // NaN is outside
        return true;
    }

    /// <inheritdoc />
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["low"] = Array(Low), ["high"] = Array(High) };
}

/// <summary>A multivariate normal prior: its support is all of ℝ^D, so no sample is ever rejected.</summary>
public sealed record MultivariateNormalSpec : PriorSpec
{
    /// <summary>Creates the prior from its mean and (D×D) covariance matrix.</summary>
    public MultivariateNormalSpec(float[] loc, float[,] covariance)
    {
        ArgumentNullException.ThrowIfNull(loc);
        ArgumentNullException.ThrowIfNull(covariance);
        if (loc.Length == 0 || covariance.GetLength(0) != loc.Length || covariance.GetLength(1) != loc.Length)
            throw new ArgumentException($"covariance must be {loc.Length}x{loc.Length}, got {covariance.GetLength(0)}x{covariance.GetLength(1)}.");
        Loc = loc;
        Covariance = covariance;
    }

    /// <summary>Mean.</summary>
    public float[] Loc { get; }

    /// <summary>Covariance matrix.</summary>
    public float[,] Covariance { get; }

    /// <inheritdoc />
    public override int D => Loc.Length;

    /// <inheritdoc />
    public override string Kind => "multivariate_normal";

    /// <inheritdoc />
    public override bool InSupport(ReadOnlySpan<float> theta)
    {
        for (int i = 0; i < Loc.Length; i++)
            if (!float.IsFinite(theta[i])) return false;
        return true;
    }

    /// <inheritdoc />
    public override JsonObject ToJson() => new()
    {
        ["kind"] = Kind,
        ["loc"] = Array(Loc),
        ["covariance_matrix"] = new JsonArray(Enumerable.Range(0, D).Select(i => (JsonNode)Array(Enumerable.Range(0, D).Select(j => Covariance[i, j]))).ToArray()),
    };
}
