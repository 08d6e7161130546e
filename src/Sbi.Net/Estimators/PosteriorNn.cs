using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>sbi's <c>posterior_nn</c>: turns options into a <see cref="DensityEstimatorBuilder"/>, and rebuilds saved architectures.</summary>
public static class PosteriorNn
{
    /// <summary>The estimator names sbi's NPE-B accepts and Sbi.Net implements.</summary>
    public static IReadOnlyList<string> Models { get; } = new[] { "maf", "nsf", "mdn", "made" };

    /// <summary>A builder for the given model name with sbi's defaults.</summary>
    public static DensityEstimatorBuilder Build(string model) => Build(new DensityEstimatorOptions { Model = model });

    /// <summary>A builder for the given options.</summary>
    public static DensityEstimatorBuilder Build(DensityEstimatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = options.Model.ToLowerInvariant();
        if (!Models.Contains(model))
            throw new ArgumentException($"density estimator must be one of {string.Join(", ", Models)}; got '{options.Model}'.", nameof(options));
        Guard.Positive(options.HiddenFeatures, nameof(options.HiddenFeatures));
        Guard.Positive(options.NumTransforms, nameof(options.NumTransforms));
        return (theta, x) =>
        {
            if (theta.dim() != 2) throw new ArgumentException($"theta batch must be 2-D (n, D); got {Guard.Shape(theta)}.", nameof(theta));
            var xShape = x.shape[1..];
            var embedding = EmbeddingFactory.Create(options.ZScoreX, x, xShape, options.EmbeddingNet?.Invoke());
            var config = new EstimatorConfig
            {
                Estimator = model,
                D = (int)theta.shape[1],
                C = EmbeddingFactory.OutputFeatures(embedding, xShape),
                XShape = xShape,
                HiddenFeatures = options.HiddenFeatures,
                NumTransforms = options.NumTransforms,
                // sbi's MADE builder fixes 5 blocks and no dropout; its MDN has neither option.
                NumBlocks = model == "made" ? DefaultBlocks(model) : options.NumBlocks ?? DefaultBlocks(model),
                NumBins = options.NumBins,
                TailBound = options.TailBound,
                NumComponents = options.NumComponents,
                HiddenLayersSplineContext = options.HiddenLayersSplineContext,
                DropoutProbability = model is "maf" or "nsf" ? options.DropoutProbability : 0.0,
                ZScoreTheta = options.ZScoreTheta,
                ZScoreX = options.ZScoreX,
                EmbeddingNet = options.EmbeddingNet is null ? "Identity" : "Custom",
            };
            return Create(config, theta, embedding);
        };
    }

    /// <summary>The model's default number of blocks (MADE mixture: 5, fixed in sbi's builder; others 2).</summary>
    public static int DefaultBlocks(string model) => model == "made" ? 5 : 2;

    /// <summary>
    /// Builds the estimator for a configuration. With a θ batch the z-score statistics come from it; without, the
    /// architecture is rebuilt with placeholder statistics for loading saved weights.
    /// </summary>
    public static ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
        => config.Estimator switch
        {
            "maf" => MafFactory.Create(config, thetaBatch, embedding),
            "nsf" => NsfFactory.Create(config, thetaBatch, embedding),
            "mdn" => MdnFactory.Create(config, thetaBatch, embedding),
            "made" => MadeFactory.Create(config, thetaBatch, embedding),
            _ => throw new ArgumentException($"estimator kind must be one of {string.Join(", ", Models)}; got '{config.Estimator}'.", nameof(config)),
        };

    /// <summary>Rebuilds the architecture of a saved configuration (identity or user embedding) for loading weights.</summary>
    public static ConditionalDensityEstimator Rebuild(EstimatorConfig config, nn.Module<Tensor, Tensor>? userEmbedding = null)
        => Create(config, null, EmbeddingFactory.Create(config.ZScoreX, null, config.XShape, userEmbedding));
}
