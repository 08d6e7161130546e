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
        bool ok = EstimatorFamilies.Names.Contains(kind);
        reason = ok ? "" : $"Sbi.Net has no '{kind}' estimator yet (EstimatorFamilies.Names = {string.Join(", ", EstimatorFamilies.Names)})";
        return ok;
    }

    /// <summary>sbi's config_json, read by Sbi.Format like every other reader.</summary>
    public static EstimatorConfig Config(JsonObject c, string source) => EstimatorConfigJson.FromJson(c.ToJsonString(), source);

    /// <summary>
    /// Rebuilds the estimator of the bundle's config_json and loads the arrays under <paramref name="prefix"/>
    /// strictly (every key, every shape); eval mode. The caller disposes it.
    /// </summary>
    public static ConditionalDensityEstimator Load(ArrayBundle bundle, string prefix = "sd/", ArrayBundle? configFrom = null)
    {
        var config = Config((configFrom ?? bundle).Json("config_json"), (configFrom ?? bundle).Origin);
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
