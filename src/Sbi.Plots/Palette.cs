using ScottPlot;

namespace Sbi.Plots;

/// <summary>matplotlib's default colour cycle (C0, C1, …), which sbi's plots use, and the colours of its fixed elements.</summary>
internal static class Palette
{
    private static readonly string[] Cycle = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static Color C(int i) => Color.FromHex(Cycle[i % Cycle.Length]);

    /// <summary>Reference points.</summary>
    public static Color Points => Color.FromHex("#d62728");

    /// <summary>sbi's SBC histogram colour (Talts et al.).</summary>
    public static Color Firebrick => Color.FromHex("#b22222");

    /// <summary>The regions expected under uniformity.</summary>
    public static Color Band => Color.FromHex("#808080").WithAlpha(0.3);
}
