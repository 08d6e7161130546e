namespace Sbi.Estimators;

/// <summary>
/// Everything needed to rebuild an estimator's architecture before loading its weights (sbi's config fields,
/// snake_case names in saved files). Defaults are sbi's.
/// </summary>
public sealed record EstimatorConfig
{
    /// <summary>"maf", "nsf", "mdn" or "made".</summary>
    public string Kind { get; init; } = "maf";
    /// <summary>θ dimension D.</summary>
    public int D { get; init; }
    /// <summary>Number of features the embedding outputs (C).</summary>
    public int C { get; init; }
    /// <summary>Event shape of one raw x.</summary>
    public long[] XShape { get; init; } = Array.Empty<long>();
    /// <summary>Hidden width (sbi default 50).</summary>
    public int HiddenFeatures { get; init; } = 50;
    /// <summary>Number of flow transforms (default 5).</summary>
    public int NumTransforms { get; init; } = 5;
    /// <summary>Blocks per MADE / residual net (MAF/NSF: 2; MADE mixture: 5).</summary>
    public int NumBlocks { get; init; } = 2;
    /// <summary>Spline bins (NSF, default 10).</summary>
    public int NumBins { get; init; } = 10;
    /// <summary>Spline tail bound (NSF, default 3.0).</summary>
    public double TailBound { get; init; } = 3.0;
    /// <summary>Mixture components (MDN and MADE mixture, default 10).</summary>
    public int NumComponents { get; init; } = 10;
    /// <summary>Hidden layers of the D = 1 spline context net (NSF, default 1).</summary>
    public int HiddenLayersSplineContext { get; init; } = 1;
    /// <summary>Dropout probability (default 0).</summary>
    public double DropoutProbability { get; init; }
    /// <summary>z-scoring of θ.</summary>
    public ZScoreMode ZScoreTheta { get; init; } = ZScoreMode.Independent;
    /// <summary>z-scoring of x.</summary>
    public ZScoreMode ZScoreX { get; init; } = ZScoreMode.Independent;
    /// <summary>Name of the embedding net ("Identity" by default; informative only for user modules).</summary>
    public string EmbeddingNet { get; init; } = "Identity";
}
