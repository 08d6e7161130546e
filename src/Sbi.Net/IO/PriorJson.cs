using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.IO;

/// <summary>Priors in saved models: {"kind": "box_uniform", "low", "high"} or {"kind": "multivariate_normal", "loc", "covariance_matrix"}.</summary>
public static class PriorJson
{
    /// <summary>The JSON description of a prior; other prior types cannot be saved (they are user code).</summary>
    public static JsonObject ToJson(IDistribution prior) => prior switch
    {
        BoxUniform b => new JsonObject { ["kind"] = "box_uniform", ["low"] = Floats(b.Low), ["high"] = Floats(b.High) },
        MultivariateNormal m => new JsonObject
        {
            ["kind"] = "multivariate_normal",
            ["loc"] = Floats(m.Loc),
            ["covariance_matrix"] = new JsonArray(Enumerable.Range(0, m.Dim).Select(i => (JsonNode)Floats(m.Covariance[i])).ToArray()),
        },
        _ => throw new ArgumentException($"only BoxUniform and MultivariateNormal priors can be saved; got {prior.GetType().Name}. Save the estimator and pass your prior when loading.", nameof(prior)),
    };

    /// <summary>Rebuilds the prior.</summary>
    public static IDistribution FromJson(JsonElement j, string source)
    {
        string kind = j.TryGetProperty("kind", out var k) ? k.GetString() ?? "" : "";
        return kind switch
        {
            "box_uniform" => new BoxUniform(Read(j, "low"), Read(j, "high")),
            "multivariate_normal" => new MultivariateNormal(tensor(Read(j, "loc")),
                tensor(j.GetProperty("covariance_matrix").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray())
                    .view(Read(j, "loc").Length, -1)),
            _ => throw new InvalidDataException($"{source}: unknown prior kind '{kind}'; expected box_uniform or multivariate_normal."),
        };
    }

    private static JsonArray Floats(Tensor t) => new(t.cpu().data<float>().ToArray().Select(v => (JsonNode)(double)v).ToArray());

    private static float[] Read(JsonElement j, string name) => j.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();
}
