using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Compat;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.IO;

/// <summary>
/// Sbi.Net's versioned on-disk format for trained posteriors: one <c>.npz</c> (numpy-readable) holding every
/// state-dict tensor under <c>sd/&lt;sbi key&gt;</c> (so a Python user can <c>load_state_dict</c> it into the sbi
/// estimator of the same configuration) and a <c>config_json</c> string: format name and version, the estimator
/// configuration (sbi's field names), the prior and the default x. sbi's parity fixtures share the layout (without
/// "format" and with the prior as <c>prior_low</c>/<c>prior_high</c> arrays) and load as well.
/// </summary>
public static class ModelFile
{
    /// <summary>The format name written into <c>config_json</c>.</summary>
    public const string FormatName = "sbi-net-model";

    /// <summary>The newest format version this build reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>Saves a posterior (its estimator, prior and default x).</summary>
    public static void Save(string path, DirectPosterior posterior)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        Save(path, posterior.PosteriorEstimator, posterior.Prior, posterior.DefaultX);
    }

    /// <summary>Saves an estimator with its prior and optional default x.</summary>
    public static void Save(string path, ConditionalDensityEstimator estimator, IDistribution prior, Tensor? defaultX = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(prior);
        var config = EstimatorConfigJson.ToJson(estimator.Config);
        config["format"] = FormatName;
        config["format_version"] = FormatVersion;
        config["prior"] = PriorJson.ToJson(prior);
        if (defaultX is not null)
            config["default_x"] = new JsonArray(defaultX.cpu().reshape(-1).data<float>().ToArray().Select(v => (JsonNode)(double)v).ToArray());
        config["sbi_net_version"] = typeof(ModelFile).Assembly.GetName().Version?.ToString();
        var entries = new List<KeyValuePair<string, NpyArray>>();
        foreach (var (key, t) in estimator.state_dict())
            entries.Add(new("sd/" + key, NpyArray.FromTensor(t)));
        entries.Add(new("config_json", NpyArray.FromString(config.ToJsonString())));
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        // Write next to the target and move, so a crash never leaves a half-written model under the real name.
        var tmp = path + ".tmp";
        Npz.Write(tmp, entries, compressed: true);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Loads a saved posterior. A user embedding net (not serialisable as code) must be passed again as
    /// <paramref name="embeddingNet"/>; a prior that is not a BoxUniform/MultivariateNormal likewise as <paramref name="prior"/>.
    /// </summary>
    public static DirectPosterior Load(string path, nn.Module<Tensor, Tensor>? embeddingNet = null, IDistribution? prior = null, string? device = null)
    {
        var (estimator, savedPrior, defaultX) = LoadParts(path, embeddingNet);
        var p = prior ?? savedPrior ?? throw new InvalidDataException($"{path}: the file stores no prior; pass one.");
        var posterior = new DirectPosterior(estimator, p, device: device);
        if (defaultX is not null) posterior.SetDefaultX(defaultX);
        return posterior;
    }

    /// <summary>Loads the estimator, the saved prior (if any) and the default x (if any).</summary>
    public static (ConditionalDensityEstimator Estimator, IDistribution? Prior, Tensor? DefaultX) LoadParts(string path, nn.Module<Tensor, Tensor>? embeddingNet = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: {path}", path);
        var npz = NpzFile.Load(path);
        if (!npz.ContainsKey("config_json"))
            throw new InvalidDataException($"{path}: not an Sbi.Net model (no config_json member).");
        using var doc = JsonDocument.Parse(npz["config_json"].AsString());
        var j = doc.RootElement;
        if (j.TryGetProperty("format", out var fmt))
        {
            if (fmt.GetString() != FormatName)
                throw new InvalidDataException($"{path}: format '{fmt.GetString()}' is not '{FormatName}'.");
            int version = j.TryGetProperty("format_version", out var v) ? v.GetInt32() : -1;
            if (version < 1 || version > FormatVersion)
                throw new InvalidDataException($"{path}: format version {version} is not supported; this build reads versions 1 to {FormatVersion}.");
        }
        var config = EstimatorConfigJson.FromJson(j, path);
        var estimator = PosteriorNn.Rebuild(config, embeddingNet);
        var stateDict = new Dictionary<string, Tensor>();
        using (var scope = NewDisposeScope())
        {
            foreach (var key in npz.Keys.Where(k => k.StartsWith("sd/", StringComparison.Ordinal)))
                stateDict[key[3..]] = npz[key].ToTensor();
            StateDictLoader.Load(estimator, stateDict, path);
        }
        estimator.eval();
        IDistribution? prior = null;
        if (j.TryGetProperty("prior", out var pj)) prior = PriorJson.FromJson(pj, path);
        else if (npz.ContainsKey("prior_low") && npz.ContainsKey("prior_high"))
            prior = new BoxUniform(npz["prior_low"].AsFloat32(), npz["prior_high"].AsFloat32());
        Tensor? defaultX = null;
        if (j.TryGetProperty("default_x", out var dx) && dx.ValueKind == JsonValueKind.Array)
            defaultX = tensor(dx.EnumerateArray().Select(e => e.GetSingle()).ToArray()).view(new long[] { 1 }.Concat(config.XShape).ToArray());
        return (estimator, prior, defaultX);
    }
}
