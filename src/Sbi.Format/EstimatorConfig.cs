using System.Text.Json.Nodes;

namespace Sbi.Format;

/// <summary>
/// Everything needed to rebuild an estimator's architecture before loading its weights: the family name and sbi's
/// configuration fields (snake_case in files, see <see cref="EstimatorConfigJson"/>). Defaults are sbi's
/// (<see cref="EstimatorDefaults"/>). A user's own family keeps its extra settings in <see cref="Options"/>.
/// </summary>
public sealed record EstimatorConfig
{
    /// <summary>The family: "maf", "nsf", "mdn", "made" or a registered user family (sbi's "estimator").</summary>
    public string Estimator { get; init; } = "maf";
    /// <summary>θ dimension D.</summary>
    public int D { get; init; }
    /// <summary>Number of features the embedding outputs (C).</summary>
    public int C { get; init; }
    /// <summary>Event shape of one raw x.</summary>
    public long[] XShape { get; init; } = Array.Empty<long>();
    /// <summary>Hidden width.</summary>
    public int HiddenFeatures { get; init; } = EstimatorDefaults.HiddenFeatures;
    /// <summary>Number of flow transforms.</summary>
    public int NumTransforms { get; init; } = EstimatorDefaults.NumTransforms;
    /// <summary>Blocks per MADE / residual net (MAF, NSF: 2; MADE mixture: 5, fixed).</summary>
    public int NumBlocks { get; init; } = EstimatorDefaults.NumBlocks;
    /// <summary>Spline bins (NSF).</summary>
    public int NumBins { get; init; } = EstimatorDefaults.NumBins;
    /// <summary>Spline tail bound (NSF).</summary>
    public double TailBound { get; init; } = EstimatorDefaults.TailBound;
    /// <summary>Mixture components (MDN and MADE mixture).</summary>
    public int NumComponents { get; init; } = EstimatorDefaults.NumComponents;
    /// <summary>Hidden layers of the D = 1 spline context net (NSF).</summary>
    public int HiddenLayersSplineContext { get; init; } = EstimatorDefaults.HiddenLayersSplineContext;
    /// <summary>Dropout probability.</summary>
    public double DropoutProbability { get; init; }
    /// <summary>z-scoring of θ.</summary>
    public ZScoreMode ZScoreTheta { get; init; } = ZScoreMode.Independent;
    /// <summary>z-scoring of x.</summary>
    public ZScoreMode ZScoreX { get; init; } = ZScoreMode.Independent;
    /// <summary>Name of the embedding net ("Identity" by default; informative only for user modules).</summary>
    public string EmbeddingNet { get; init; } = EstimatorDefaults.IdentityEmbedding;
    /// <summary>A user family's own settings (written under "options"); null for the built-in families.</summary>
    public JsonObject? Options { get; init; }
}
