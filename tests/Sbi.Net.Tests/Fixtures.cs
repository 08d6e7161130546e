using NUnit.Framework;
using Sbi.Data;
using Sbi.Numpy;
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

    /// <summary>The fixture's configuration, read by Sbi.Format like every other reader.</summary>
    public static EstimatorConfig Config(this NpzFile f) => EstimatorConfigJson.FromJson(f.String("config_json"), f.Path);

    /// <summary>An Sbi.Net estimator with the fixture's architecture and weights.</summary>
    public static ConditionalDensityEstimator Estimator(this NpzFile f, string prefix = "sd/")
    {
        var cfg = f.Config();
        var est = PosteriorNn.Rebuild(cfg);
        StateDictLoader.Load(est, f.StateDict(prefix), f.Path);
        est.eval();
        return est;
    }
}
