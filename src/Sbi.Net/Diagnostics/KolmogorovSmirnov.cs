namespace Sbi.Diagnostics;

/// <summary>
/// The Kolmogorov–Smirnov tests sbi's diagnostics call, computed as scipy 1.10 computes them:
/// <see cref="OneSample"/> is <c>scipy.stats.kstest(x, cdf)</c> (two-sided, method "auto", which is always exact:
/// <c>kstwo.sf(D, N)</c>), what <c>check_sbc</c> runs on each dimension's ranks; <see cref="TwoSample"/> is
/// <c>kstest(a, b)</c> = <c>ks_2samp</c> (two-sided, exact for samples of equal size up to 10,000), what
/// <c>check_tarp</c> runs between the expected coverage and α. MathNet.Numerics has neither test, so the exact
/// distributions are ported here (see <see cref="KolmogorovDistribution"/>).
/// </summary>
public static class KolmogorovSmirnov
{
    /// <summary>
    /// The two-sided one-sample test of <paramref name="sample"/> against the continuous <paramref name="cdf"/>
    /// (scipy/stats/_stats_py.py <c>ks_1samp</c>): D = max(D⁺, D⁻) over the sorted sample, p = P(Dₙ ≥ D) exactly.
    /// </summary>
    /// <exception cref="ArgumentException">the sample is empty or holds NaN.</exception>
    public static (double Statistic, double PValue) OneSample(IReadOnlyList<double> sample, Func<double, double> cdf)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(cdf);
        if (sample.Count == 0) throw new ArgumentException("sample must hold at least one value; got none.", nameof(sample));
        if (sample.Any(double.IsNaN)) throw new ArgumentException("sample must not hold NaN.", nameof(sample));
        var x = sample.ToArray();
        Array.Sort(x);
        int n = x.Length;
        double dPlus = double.NegativeInfinity, dMinus = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double c = cdf(x[i]);
            // _compute_dplus: (i+1)/n − cdf; _compute_dminus: cdf − i/n (numpy's arange(1.0, n+1)/n, arange(0.0, n)/n).
            dPlus = Math.Max(dPlus, (i + 1.0) / n - c);
            dMinus = Math.Max(dMinus, c - (double)i / n);
        }
        double d = dPlus > dMinus ? dPlus : dMinus;
        return (d, Math.Clamp(KolmogorovDistribution.Sf(n, d), 0, 1));
    }

    /// <summary>
    /// The two-sided two-sample test (scipy/stats/_stats_py.py <c>ks_2samp</c>, method "auto"): D = max |F_a − F_b|
    /// over the pooled values; for equal sizes n ≤ 10,000 the exact p-value (<c>_compute_prob_outside_square</c>),
    /// above that Smirnov's asymptotic <c>kstwo.sf(D, round(n/2))</c>. Samples of different sizes (scipy's
    /// lattice-path counting) are not ported: sbi's <c>check_tarp</c> compares two curves of one grid.
    /// </summary>
    /// <exception cref="ArgumentException">a sample is empty or holds NaN, or the sizes differ.</exception>
    public static (double Statistic, double PValue) TwoSample(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0) throw new ArgumentException("a must hold at least one value; got none.", nameof(a));
        if (b.Count == 0) throw new ArgumentException("b must hold at least one value; got none.", nameof(b));
        if (a.Count != b.Count)
            throw new ArgumentException($"b must have as many values as a (the exact equal-size test); got {b.Count} against {a.Count}.", nameof(b));
        if (a.Any(double.IsNaN)) throw new ArgumentException("a must not hold NaN.", nameof(a));
        if (b.Any(double.IsNaN)) throw new ArgumentException("b must not hold NaN.", nameof(b));
        var x = a.ToArray();
        var y = b.ToArray();
        Array.Sort(x);
        Array.Sort(y);
        int n = x.Length;
        double minDiff = double.PositiveInfinity, maxDiff = double.NegativeInfinity;
        foreach (var v in x.Concat(y))
        {
            // np.searchsorted(side="right") / n on both samples, then cdf1 − cdf2.
            double diff = (double)UpperBound(x, v) / n - (double)UpperBound(y, v) / n;
            minDiff = Math.Min(minDiff, diff);
            maxDiff = Math.Max(maxDiff, diff);
        }
        double minS = Math.Clamp(-minDiff, 0, 1), maxS = maxDiff;
        double d = minS > maxS ? minS : maxS;
        if (n > 10_000) return (d, Math.Clamp(KolmogorovDistribution.Sf((int)Math.Round(n / 2.0, MidpointRounding.ToEven), d), 0, 1));
        // _attempt_exact_2kssamp: with n1 = n2 the lcm is n; the statistic is a multiple of 1/n.
        int h = (int)Math.Round(d * n, MidpointRounding.ToEven);
        d = h * 1.0 / n;
        if (h == 0) return (d, 1.0);
        return (d, Math.Clamp(ProbOutsideSquare(n, h), 0, 1));
    }

    /// <summary>P(D_{n,n} ≥ h/n) (scipy's <c>_compute_prob_outside_square</c>): 2·(A₀(1 − A₁(1 − A₂(…)))), a Horner form of the alternating binomial sum.</summary>
    internal static double ProbOutsideSquare(int n, int h)
    {
        double p = 0.0;
        int k = n / h;
        while (k >= 0)
        {
            double p1 = 1.0;
            for (int j = 0; j < h; j++) p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
            p = p1 * (1.0 - p);
            k--;
        }
        return 2 * p;
    }

    /// <summary>The number of entries of sorted <paramref name="sorted"/> that are ≤ <paramref name="v"/> (searchsorted, side "right").</summary>
    private static int UpperBound(double[] sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
