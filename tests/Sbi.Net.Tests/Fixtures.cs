using System.Text.Json;
using NUnit.Framework;
using Sbi.Compat;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Tests;

/// <summary>Access to the sbi reference files (tests/parity/fixtures, copied next to the test assembly).</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", name);

    public static NpzFile Load(string name) => NpzFile.Load(Path(name));

    public static Tensor T(this NpzFile f, string key) => f[key].ToTensor();

    /// <summary>The state dict stored under a prefix (e.g. "sd/"), keys without the prefix.</summary>
    public static Dictionary<string, Tensor> StateDict(this NpzFile f, string prefix = "sd/")
        => f.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                 .ToDictionary(k => k[prefix.Length..], k => f[k].ToTensor());

    public static JsonElement Config(this NpzFile f) => JsonDocument.Parse(f["config_json"].AsString()).RootElement;

    /// <summary>An Sbi.Net estimator with the fixture's architecture and weights.</summary>
    public static ConditionalDensityEstimator Estimator(this NpzFile f, string prefix = "sd/")
    {
        var c = f.Config();
        var cfg = new EstimatorConfig
        {
            Kind = c.GetProperty("estimator").GetString()!,
            D = c.GetProperty("D").GetInt32(),
            C = c.GetProperty("C").GetInt32(),
            XShape = new long[] { c.GetProperty("C").GetInt32() },
            HiddenFeatures = c.GetProperty("hidden_features").GetInt32(),
            NumTransforms = c.TryGetProperty("num_transforms", out var nt) ? nt.GetInt32() : 5,
            NumBlocks = c.TryGetProperty("num_blocks", out var nb) ? nb.GetInt32() : 2,
            NumBins = c.TryGetProperty("num_bins", out var bins) ? bins.GetInt32() : 10,
            TailBound = c.TryGetProperty("tail_bound", out var tb) ? tb.GetDouble() : 3.0,
            NumComponents = c.TryGetProperty("num_components", out var nc) ? nc.GetInt32()
                          : c.TryGetProperty("num_mixture_components", out var nm) ? nm.GetInt32() : 10,
        };
        var est = PosteriorNn.Rebuild(cfg);
        StateDictLoader.Load(est, f.StateDict(prefix), f.Path);
        est.eval();
        return est;
    }
}
