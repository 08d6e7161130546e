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
    /// <exception cref="SbiDataException">a weight is not finite, or <paramref name="hints"/> disagrees with the weights' shapes.</exception>
    public static ConditionalDensityEstimator Load(string path, EstimatorConfig? hints = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"state dict file not found: {path}", path);
        var sd = ReadTensors(path);
        try
        {
            FiniteWeights.Require(sd, path);
            var config = hints ?? Infer(sd, path);
            if (hints is not null) ConfigConsistency.Check(hints, sd, path);
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

    /// <summary>The estimator configuration implied by sbi's key names and shapes (<see cref="EstimatorFamilies.Infer"/>).</summary>
    public static EstimatorConfig Infer(IReadOnlyDictionary<string, Tensor> sd, string source = "state dict") => EstimatorFamilies.Infer(sd, source);
}
