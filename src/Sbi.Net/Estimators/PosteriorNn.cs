using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// sbi's <c>posterior_nn</c> (sbi/neural_nets/factory.py): turns options into a <see cref="DensityEstimatorBuilder"/>,
/// and rebuilds saved architectures, for every family in <see cref="EstimatorFamilies"/>.
/// </summary>
public static class PosteriorNn
{
    /// <summary>A builder for the given model name with sbi's defaults.</summary>
    public static DensityEstimatorBuilder Build(string model) => Build(new DensityEstimatorOptions { Model = model });

    /// <summary>A builder for the given options.</summary>
    public static DensityEstimatorBuilder Build(DensityEstimatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var family = EstimatorFamilies.Get(options.Model.ToLowerInvariant(), nameof(options));
        Guard.Positive(options.HiddenFeatures, nameof(options.HiddenFeatures));
        Guard.Positive(options.NumTransforms, nameof(options.NumTransforms));
        return (theta, x) =>
        {
            if (theta.dim() != 2) throw new ArgumentException($"theta batch must be 2-D (n, D); got {Guard.Shape(theta)}.", nameof(theta));
            var xShape = x.shape[1..];
            // The family's rules first (it may turn z-scoring off), then the x pipeline they imply and its width C.
            var config = family.Configure(new EstimatorConfig
            {
                Estimator = family.Name,
                D = (int)theta.shape[1],
                XShape = xShape,
                HiddenFeatures = options.HiddenFeatures,
                NumTransforms = options.NumTransforms,
                NumBlocks = options.NumBlocks ?? EstimatorDefaults.NumBlocks,
                NumBins = options.NumBins,
                TailBound = options.TailBound,
                NumComponents = options.NumComponents,
                HiddenLayersSplineContext = options.HiddenLayersSplineContext,
                DropoutProbability = options.DropoutProbability,
                ZScoreTheta = options.ZScoreTheta,
                ZScoreX = options.ZScoreX,
                EmbeddingNet = options.EmbeddingNet is null ? EstimatorDefaults.IdentityEmbedding : "Custom",
                Options = options.FamilyOptions,
            });
            var embedding = EmbeddingFactory.Create(config.ZScoreX, x, xShape, options.EmbeddingNet?.Invoke());
            config = config with { C = EmbeddingFactory.OutputFeatures(embedding, xShape) };
            return family.Create(config, theta, embedding);
        };
    }

    /// <summary>Rebuilds the architecture of a saved configuration (identity or user embedding) for loading weights.</summary>
    public static ConditionalDensityEstimator Rebuild(EstimatorConfig config, nn.Module<Tensor, Tensor>? userEmbedding = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return EstimatorFamilies.Get(config.Estimator, nameof(config)).Create(config, null, EmbeddingFactory.Create(config.ZScoreX, null, config.XShape, userEmbedding));
    }
}
