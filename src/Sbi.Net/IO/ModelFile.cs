using Microsoft.Extensions.Logging;
using Sbi.Numpy;
using Sbi.Data;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.IO;

/// <summary>
/// Trained posteriors on disk in Sbi.Net's versioned model format (<see cref="ModelArchive"/> and
/// <see cref="ModelDocument"/> in Sbi.Format define it): one <c>.npz</c> with every state-dict tensor under
/// <c>sd/&lt;sbi key&gt;</c> and a <c>config_json</c> with the estimator configuration, prior and default x. sbi's
/// parity fixtures share the layout and load as well.
/// </summary>
public static class ModelFile
{
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
        var document = new ModelDocument(estimator.Config, prior.ToSpec(), defaultX?.cpu().reshape(-1).to(ScalarType.Float32).data<float>().ToArray());
        ModelArchive.Write(path, document, estimator.state_dict().Select(kv => new KeyValuePair<string, Numpy.NpyArray>(kv.Key, kv.Value.ToNpy())),
                           "Sbi.Net " + typeof(ModelFile).Assembly.GetName().Version);
    }

    /// <summary>
    /// Loads a saved posterior. A user embedding net (not serialisable as code) must be passed again as
    /// <paramref name="embeddingNet"/>; a prior that is not a BoxUniform/MultivariateNormal likewise as <paramref name="prior"/>.
    /// Notes while reading (e.g. an older file without digests) and the posterior's warnings go to <paramref name="logger"/>
    /// (standard error when null).
    /// </summary>
    /// <exception cref="Numpy.SbiDataException">a member's SHA-256 does not match, a weight is not finite, or the configuration
    /// disagrees with the stored weights.</exception>
    public static DirectPosterior Load(string path, nn.Module<Tensor, Tensor>? embeddingNet = null, IDistribution? prior = null, string? device = null, ILogger? logger = null)
    {
        var (estimator, savedPrior, defaultX) = LoadParts(path, embeddingNet, logger);
        var p = prior ?? savedPrior ?? throw new SbiDataException(null, $"{path}: the file stores no prior; pass one.");
        var posterior = new DirectPosterior(estimator, p, device: device, logger: logger);
        if (defaultX is not null) posterior.SetDefaultX(defaultX);
        return posterior;
    }

    /// <summary>
    /// Loads the estimator, the saved prior (if any) and the default x (if any). Before anything is built the members'
    /// digests, the configuration's ranges (<see cref="ModelArchive.Read"/>), its agreement with the weights' shapes
    /// (<see cref="ConfigConsistency"/>) and the weights' finiteness (<see cref="FiniteWeights"/>) are checked. Notes while
    /// reading go to <paramref name="logger"/> (standard error when null).
    /// </summary>
    public static (ConditionalDensityEstimator Estimator, IDistribution? Prior, Tensor? DefaultX) LoadParts(string path, nn.Module<Tensor, Tensor>? embeddingNet = null, ILogger? logger = null)
    {
        var (document, arrays) = ModelArchive.Read(path, m => logger.OrDefault().LogInformation(LogEvents.ModelFiles, m));
        if (document.Config.Estimator == VIModelFile.Estimator)
            throw new Numpy.SbiDataException(path, "holds a variational posterior (VIPosterior), whose q lives in the prior's unconstrained space; load it with VIModelFile.Load.");
        if (arrays.Count == 0) throw new Numpy.SbiDataException(path, $"stores no weights (no {ModelDocument.StateDictPrefix} members); expected the estimator's state dict.");
        ConditionalDensityEstimator estimator;
        using (var scope = NewDisposeScope())
        {
            var tensors = arrays.ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());
            FiniteWeights.Require(tensors, path);
            ConfigConsistency.Check(document.Config, tensors, path);
            estimator = PosteriorNn.Rebuild(document.Config, embeddingNet);
            StateDictLoader.Load(estimator, tensors, path);
        }
        estimator.eval();
        var defaultX = document.DefaultX is { } dx ? tensor(dx).view(new long[] { 1 }.Concat(document.Config.XShape).ToArray()) : null;
        return (estimator, document.Prior?.ToDistribution(), defaultX);
    }
}
