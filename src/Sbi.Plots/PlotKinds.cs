namespace Sbi.Plots;

/// <summary>The plot styles sbi's pairplot, marginal_plot and sbc_rank_plot take (sbi/analysis/plot.py), as the same strings.</summary>
public static class PlotKinds
{
    /// <summary>Histogram (diagonal: 1-D; off-diagonal: a 2-D histogram image).</summary>
    public const string Hist = "hist";
    /// <summary>Off-diagonal: lines of a Gaussian kernel density estimate enclosing 68 %, 95 % and 99 % of its mass.</summary>
    public const string Contour = "contour";
    /// <summary>Off-diagonal: the samples as points.</summary>
    public const string Scatter = "scatter";
    /// <summary>SBC ranks as empirical CDFs.</summary>
    public const string Cdf = "cdf";

    /// <summary>What the diagonal of a pair plot or a marginal plot can show (null: nothing).</summary>
    public static readonly IReadOnlyList<string> Diagonal = [Hist];
    /// <summary>What an off-diagonal triangle can show (null: nothing).</summary>
    public static readonly IReadOnlyList<string> OffDiagonal = [Hist, Contour, Scatter];
    /// <summary>The forms of an SBC rank plot.</summary>
    public static readonly IReadOnlyList<string> Ranks = [Hist, Cdf];

    internal static void Check(string? kind, IReadOnlyList<string> allowed, string argumentName, bool nullable = true)
    {
        if (kind is null && nullable) return;
        if (kind is null || !allowed.Contains(kind))
            throw new ArgumentException($"{argumentName} must be one of {string.Join(", ", allowed.Select(k => $"'{k}'"))}{(nullable ? " or null" : "")}; got '{kind ?? "null"}'.",
                                        argumentName);
    }
}
