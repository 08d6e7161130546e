using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// Options of sbi's <c>posterior_nn</c> / per-model configs. Null sizes take the model's sbi default
/// (e.g. blocks: 2 for MAF/NSF, 5 for the MADE mixture).
/// </summary>
public sealed record DensityEstimatorOptions
{
    /// <summary>"maf" (default), "nsf", "mdn" or "made".</summary>
    public string Model { get; init; } = "maf";
    /// <summary>Hidden width (default 50).</summary>
    public int HiddenFeatures { get; init; } = 50;
    /// <summary>Number of transforms (default 5).</summary>
    public int NumTransforms { get; init; } = 5;
    /// <summary>Blocks per conditioner (null: the model's default).</summary>
    public int? NumBlocks { get; init; }
    /// <summary>Spline bins (NSF, default 10).</summary>
    public int NumBins { get; init; } = 10;
    /// <summary>Spline tail bound (NSF, default 3).</summary>
    public double TailBound { get; init; } = 3.0;
    /// <summary>Mixture components (MDN, MADE mixture; default 10).</summary>
    public int NumComponents { get; init; } = 10;
    /// <summary>Hidden layers of NSF's D = 1 context net (default 1).</summary>
    public int HiddenLayersSplineContext { get; init; } = 1;
    /// <summary>Dropout probability (default 0).</summary>
    public double DropoutProbability { get; init; }
    /// <summary>z-scoring of θ (sbi's <c>z_score_theta</c>, default independent).</summary>
    public ZScoreMode ZScoreTheta { get; init; } = ZScoreMode.Independent;
    /// <summary>z-scoring of x (sbi's <c>z_score_x</c>, default independent).</summary>
    public ZScoreMode ZScoreX { get; init; } = ZScoreMode.Independent;
    /// <summary>Creates a fresh embedding net for x (identity when null). Called once per network build.</summary>
    public Func<nn.Module<Tensor, Tensor>>? EmbeddingNet { get; init; }
}

/// <summary>A density-estimator builder: called with the training θ and x (training split) to build a fresh estimator.</summary>
public delegate ConditionalDensityEstimator DensityEstimatorBuilder(Tensor thetaBatch, Tensor xBatch);
