using System.Text.Json.Nodes;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Parity.Data;

/// <summary>Turns sbi's saved architecture (config_json) and state dict (sd/ arrays) into a Sbi.Net estimator.</summary>
public static class EstimatorLoader
{
    /// <summary>Whether Sbi.Net has this estimator yet; cases of missing ones are skipped with this reason.</summary>
    public static bool IsSupported(string kind, out string reason)
    {
        bool ok = PosteriorNn.Models.Contains(kind);
        reason = ok ? "" : $"Sbi.Net has no '{kind}' estimator yet (PosteriorNn.Models = {string.Join(", ", PosteriorNn.Models)})";
        return ok;
    }

    /// <summary>sbi's config_json as Sbi.Net's <see cref="EstimatorConfig"/>.</summary>
    public static EstimatorConfig Config(JsonObject c)
    {
        string kind = c["estimator"]!.GetValue<string>();
        int Int(string name, int fallback) => c[name] is { } v ? v.GetValue<int>() : fallback;
        int comps = kind == "made" ? Int("num_mixture_components", 10) : Int("num_components", 10);
        return new EstimatorConfig
        {
            Kind = kind,
            D = Int("D", 0),
            C = Int("C", 0),
            XShape = new long[] { Int("C", 0) },
            HiddenFeatures = Int("hidden_features", 50),
            NumTransforms = Int("num_transforms", 5),
            NumBlocks = Int("num_blocks", PosteriorNn.DefaultBlocks(kind)),
            NumBins = Int("num_bins", 10),
            TailBound = c["tail_bound"]?.GetValue<double>() ?? 3.0,
            HiddenLayersSplineContext = Int("hidden_layers_spline_context", 1),
            NumComponents = comps,
            ZScoreTheta = ZScoreModes.Parse(c["z_score_theta"]?.GetValue<string>(), "z_score_theta"),
            ZScoreX = ZScoreModes.Parse(c["z_score_x"]?.GetValue<string>(), "z_score_x"),
            EmbeddingNet = c["embedding_net"]?.GetValue<string>() ?? "Identity",
        };
    }

    /// <summary>
    /// Rebuilds the estimator of the bundle's config_json and loads the arrays under <paramref name="prefix"/>
    /// strictly (every key, every shape); eval mode. The caller disposes it.
    /// </summary>
    public static ConditionalDensityEstimator Load(ArrayBundle bundle, string prefix = "sd/", ArrayBundle? configFrom = null)
    {
        var config = Config((configFrom ?? bundle).Json("config_json"));
        var est = PosteriorNn.Rebuild(config);
        using (var scope = NewDisposeScope())
        {
            var sd = bundle.WithPrefix(prefix).ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());
            StateDictLoader.Load(est, sd, $"{bundle.Origin} ({prefix})");
        }
        est.eval();
        return est;
    }

    /// <summary>The trainable keys sbi lists in config_json (every other sd/ key is a buffer).</summary>
    public static HashSet<string> TrainableKeys(ArrayBundle bundle) =>
        bundle.Json("config_json")["trainable_keys"]!.AsArray().Select(k => k!.GetValue<string>()).ToHashSet();
}
