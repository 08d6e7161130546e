namespace Sbi.Format;

/// <summary>
/// sbi 0.27's defaults for its density estimators (sbi/neural_nets/net_builders/flow.py and mdn.py, and the per-model
/// configs MAFConfig, NSFConfig, MDNConfig, MADEConfig of sbi/neural_nets/factory.py at 900821dc).
/// </summary>
public static class EstimatorDefaults
{
    /// <summary>The estimator families sbi's NPE-B accepts and Sbi.Net implements.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = new[] { "maf", "nsf", "mdn", "made" };

    /// <summary>Hidden width (all families).</summary>
    public const int HiddenFeatures = 50;
    /// <summary>Flow transforms (maf, nsf).</summary>
    public const int NumTransforms = 5;
    /// <summary>Blocks per MADE or residual net (maf, nsf).</summary>
    public const int NumBlocks = 2;
    /// <summary>Residual blocks of the MADE mixture: fixed by sbi's builder (build_made), whatever is asked.</summary>
    public const int MadeMixtureBlocks = 5;
    /// <summary>Spline bins (nsf).</summary>
    public const int NumBins = 10;
    /// <summary>Spline tail bound (nsf).</summary>
    public const double TailBound = 3.0;
    /// <summary>Mixture components (mdn: num_components; made: num_mixture_components).</summary>
    public const int NumComponents = 10;
    /// <summary>Hidden layers of NSF's context net for D = 1.</summary>
    public const int HiddenLayersSplineContext = 1;
    /// <summary>The embedding net's name when x is used as it is.</summary>
    public const string IdentityEmbedding = "Identity";

    /// <summary>The number of blocks a family is built with (made: fixed; others: the requested or default).</summary>
    public static int BlocksFor(string estimator, int? requested) =>
        estimator == "made" ? MadeMixtureBlocks : requested ?? NumBlocks;
}
