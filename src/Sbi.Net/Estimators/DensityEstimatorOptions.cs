using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// Options of sbi's <c>posterior_nn</c> / per-model configs (defaults: <see cref="EstimatorDefaults"/>). Each family
/// applies its builder's rules to them (<see cref="IEstimatorFamily.Configure"/>: e.g. the MADE mixture always has 5 blocks).
/// </summary>
public sealed record DensityEstimatorOptions
{
    /// <summary>The family: "maf" (default), "nsf", "mdn", "made" or one added with <see cref="EstimatorFamilies.Register"/>.</summary>
    public string Model { get; init; } = "maf";
    /// <summary>Hidden width (default 50).</summary>
    public int HiddenFeatures { get; init; } = EstimatorDefaults.HiddenFeatures;
    /// <summary>Number of transforms (default 5).</summary>
    public int NumTransforms { get; init; } = EstimatorDefaults.NumTransforms;
    /// <summary>Blocks per conditioner (null: 2, sbi's default).</summary>
    public int? NumBlocks { get; init; }
    /// <summary>Spline bins (NSF, default 10).</summary>
    public int NumBins { get; init; } = EstimatorDefaults.NumBins;
    /// <summary>Spline tail bound (NSF, default 3).</summary>
    public double TailBound { get; init; } = EstimatorDefaults.TailBound;
    /// <summary>Mixture components (MDN, MADE mixture; default 10).</summary>
    public int NumComponents { get; init; } = EstimatorDefaults.NumComponents;
    /// <summary>Hidden layers of NSF's D = 1 context net (default 1).</summary>
    public int HiddenLayersSplineContext { get; init; } = EstimatorDefaults.HiddenLayersSplineContext;
    /// <summary>Dropout probability (default 0).</summary>
    public double DropoutProbability { get; init; }
    /// <summary>z-scoring of θ (sbi's <c>z_score_theta</c>, default independent).</summary>
    public ZScoreMode ZScoreTheta { get; init; } = ZScoreMode.Independent;
    /// <summary>z-scoring of x (sbi's <c>z_score_x</c>, default independent).</summary>
    public ZScoreMode ZScoreX { get; init; } = ZScoreMode.Independent;
    /// <summary>Creates a fresh embedding net for x (identity when null). Called once per network build.</summary>
    public Func<nn.Module<Tensor, Tensor>>? EmbeddingNet { get; init; }
    /// <summary>A registered family's own hyper-parameters, kept in the configuration (and model files) as "options".</summary>
    public JsonObject? FamilyOptions { get; init; }
}

/// <summary>A density-estimator builder: called with the training θ and x (training split) to build a fresh estimator.</summary>
public delegate ConditionalDensityEstimator DensityEstimatorBuilder(Tensor thetaBatch, Tensor xBatch);
