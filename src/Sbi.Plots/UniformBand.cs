using MathNet.Numerics.Distributions;

namespace Sbi.Plots;

/// <summary>The grey regions sbi's rank plots draw where ranks of a calibrated posterior fall 99 % of the time.</summary>
internal static class UniformBand
{
    /// <summary>scipy's <c>binom(n, p).ppf(q)</c>: the smallest k with P(K ≤ k) ≥ q.</summary>
    public static int BinomialPpf(int n, double p, double q)
    {
        if (p <= 0) return 0;
        if (p >= 1) return n;
        int lo = 0, hi = n;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (Binomial.CDF(p, n, mid) >= q) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>
    /// sbi's <c>_plot_hist_region_expected_under_uniformity</c>: the 0.5 % and 99.5 % quantiles of a bin's count,
    /// Binomial(N, 1/(bins + 1)).
    /// </summary>
    public static (double Lower, double Upper) HistogramBand(int numSbcRuns, int bins) =>
        (BinomialPpf(numSbcRuns, 1.0 / (bins + 1), 0.005), BinomialPpf(numSbcRuns, 1.0 / (bins + 1), 0.995));

    /// <summary>
    /// sbi's <c>_plot_cdf_region_expected_under_uniformity</c>: per bin the 0.5 % and 99.5 % quantiles of
    /// Binomial(N, F) at the uniform CDF F after that bin (the last F lowered by 10⁻⁹), each divided by its largest value.
    /// </summary>
    public static (double[] Lower, double[] Upper) CdfBand(int numSbcRuns, int bins)
    {
        double perBin = BinomialPpf(numSbcRuns, 1.0 / bins, 0.5);
        var cdf = Enumerable.Range(1, bins).Select(j => j * perBin / (bins * perBin)).ToArray();
        cdf[^1] -= 1e-9;
        var lower = cdf.Select(f => (double)BinomialPpf(numSbcRuns, f, 0.005)).ToArray();
        var upper = cdf.Select(f => (double)BinomialPpf(numSbcRuns, f, 0.995)).ToArray();
        double lMax = lower.Max(), uMax = upper.Max();
        return (lower.Select(v => v / lMax).ToArray(), upper.Select(v => v / uMax).ToArray());
    }
}
