using System.Text.RegularExpressions;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.Estimators;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.IO;

/// <summary>
/// State dicts in sbi's key names, to and from PyTorch files: <c>torch.save(density_estimator.state_dict(), f)</c>
/// from Python sbi loads into the matching Sbi.Net estimator (architecture inferred from the key names and tensor
/// shapes), and an Sbi.Net estimator saves a <c>.pt</c> that sbi's estimator of the same configuration accepts with
/// <c>load_state_dict</c>.
/// </summary>
public static class SbiStateDict
{
    /// <summary>Loads a state dict file (.pt from torch.save, or .npz with sd/ members) into a rebuilt estimator.</summary>
    /// <param name="path">The file.</param>
    /// <param name="hints">Fields the shapes cannot tell (e.g. x_shape for an embedding); null: inferred.</param>
    public static ConditionalDensityEstimator Load(string path, EstimatorConfig? hints = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"state dict file not found: {path}", path);
        var sd = ReadTensors(path);
        try
        {
            var config = hints ?? Infer(sd, path);
            var est = PosteriorNn.Rebuild(config);
            StateDictLoader.Load(est, sd, path);
            est.eval();
            return est;
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>Writes the estimator's state dict with sbi's keys as a PyTorch file (torch.load → load_state_dict).</summary>
    public static void Save(string path, ConditionalDensityEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        TorchPt.Save(path, estimator.state_dict().Select(kv => new KeyValuePair<string, NpyArray>(kv.Key, kv.Value.ToNpy())).ToList());
    }

    private static Dictionary<string, Tensor> ReadTensors(string path)
    {
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
        {
            var npz = NpzFile.Load(path);
            return npz.Keys.Where(k => k.StartsWith(ModelDocument.StateDictPrefix, StringComparison.Ordinal))
                      .ToDictionary(k => k[ModelDocument.StateDictPrefix.Length..], k => npz[k].ToTensor());
        }
        return TorchPt.LoadArrayDict(path).ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());
    }

    /// <summary>The estimator configuration implied by sbi's key names and shapes (maf, nsf, mdn, made).</summary>
    public static EstimatorConfig Infer(IReadOnlyDictionary<string, Tensor> sd, string source = "state dict")
    {
        long[] S(string key) => sd.TryGetValue(key, out var t) ? t.shape
            : throw new ArgumentException($"{source}: expected key '{key}' is missing.", nameof(sd));
        ZScoreMode ModeOf(string key) => !sd.TryGetValue(key, out var t) ? ZScoreMode.None : t.dim() == 0 ? ZScoreMode.Structured : ZScoreMode.Independent;
        int Count(string pattern) => sd.Keys.Select(k => Regex.Match(k, pattern)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count();

        if (sd.Keys.Any(k => k.Contains(".autoregressive_net.")))
        {
            var first = sd.Keys.Where(k => k.EndsWith(".autoregressive_net.initial_layer.weight")).OrderBy(k => k, StringComparer.Ordinal).First();
            var prefix = first[..^"initial_layer.weight".Length];
            var w0 = S(first);
            return new EstimatorConfig
            {
                Estimator = "maf", D = (int)w0[1], C = (int)S(prefix + "context_layer.weight")[1], HiddenFeatures = (int)w0[0],
                NumTransforms = Count(@"_transforms\.(\d+)\.autoregressive_net\."), NumBlocks = Count(@"autoregressive_net\.blocks\.(\d+)\."),
                ZScoreTheta = ModeOf("net._transform._transforms.0._shift"), ZScoreX = ModeOf("net._embedding_net.0._mean"),
                XShape = new[] { S(prefix + "context_layer.weight")[1] },
            };
        }
        if (sd.Keys.Any(k => k.Contains(".transform_net.")))
        {
            var ids = sd.Keys.Where(k => k.EndsWith(".identity_features")).OrderBy(k => k, StringComparer.Ordinal).First();
            var pre = ids[..^"identity_features".Length];
            int d = (int)(S(pre + "identity_features")[0] + S(pre + "transform_features")[0]);
            bool oneDim = sd.ContainsKey(pre + "transform_net.spline_predictor.0.weight");
            var wIn = oneDim ? S(pre + "transform_net.spline_predictor.0.weight") : S(pre + "transform_net.initial_layer.weight");
            long c = oneDim ? wIn[1] : S(pre + "transform_net.blocks.0.context_layer.weight")[1];
            long outRows = oneDim ? S(pre + "transform_net.spline_predictor.4.weight")[0] : S(pre + "transform_net.final_layer.weight")[0];
            long tf = S(pre + "transform_features")[0];
            return new EstimatorConfig
            {
                Estimator = "nsf", D = d, C = (int)c, XShape = new[] { c }, HiddenFeatures = (int)wIn[0],
                NumTransforms = Count(@"_transforms\.(\d+)\.transform_features"), NumBins = (int)((outRows / tf + 1) / 3),
                NumBlocks = oneDim ? 2 : Count(@"transform_net\.blocks\.(\d+)\."),
                ZScoreTheta = ModeOf("net._transform._transforms.0._shift"), ZScoreX = ModeOf("net._embedding_net.0._mean"),
            };
        }
        if (sd.ContainsKey("net._logits_layer.weight"))
        {
            var h0 = S("net._hidden_net.0.weight");
            long k = S("net._logits_layer.weight")[0];
            return new EstimatorConfig
            {
                Estimator = "mdn", D = (int)(S("net._means_layer.weight")[0] / k), C = (int)h0[1], XShape = new[] { h0[1] },
                HiddenFeatures = (int)h0[0], NumComponents = (int)k,
                ZScoreTheta = ModeOf("_transform_shift"), ZScoreX = ModeOf("_embedding_net.0._mean"),
            };
        }
        if (sd.ContainsKey("net._distribution._made.initial_layer.weight"))
        {
            var w0 = S("net._distribution._made.initial_layer.weight");
            int d = (int)w0[1] - 1;
            long c = S("net._distribution._made.context_layer.weight")[1];
            return new EstimatorConfig
            {
                Estimator = "made", D = d, C = (int)c, XShape = new[] { c }, HiddenFeatures = (int)w0[0],
                NumComponents = (int)(S("net._distribution._made.final_layer.weight")[0] / (3 * (d + 1))),
                NumBlocks = Count(@"_made\.blocks\.(\d+)\."),
                ZScoreTheta = ModeOf("net._transform._transforms.0._shift"), ZScoreX = ModeOf("net._embedding_net.0._mean"),
            };
        }
        throw new ArgumentException($"{source}: the keys match none of sbi's maf, nsf, mdn or made estimators (first key '{sd.Keys.FirstOrDefault()}').", nameof(sd));
    }
}
