namespace Sbi.Plots;

/// <summary>
/// The density behind sbi's "contour" off-diagonal (sbi/analysis/plot.py <c>get_kde</c>, <c>probs2contours</c>): a
/// Gaussian kernel density estimate with Scott's bandwidth (scipy's <c>gaussian_kde</c>: the sample covariance times
/// n^(−2/(d+4)), d = 2) on a bins × bins grid over the limits, and the density levels whose super-level sets hold the
/// requested fractions of the grid's mass.
/// </summary>
internal static class Kde2D
{
    /// <summary>At most this many samples enter the estimate (evenly strided): the grid's shape is settled long before.</summary>
    private const int MaxPoints = 4000;

    /// <summary>The density on the grid: [i, j] at (x = linspace(xLo, xHi)[j], y = linspace(yLo, yHi)[i]).</summary>
    public static double[,] Density(double[] xs, double[] ys, (double Lo, double Hi) xLim, (double Lo, double Hi) yLim, int bins)
    {
        int stride = Math.Max(1, xs.Length / MaxPoints);
        var px = xs.Where((_, i) => i % stride == 0).ToArray();
        var py = ys.Where((_, i) => i % stride == 0).ToArray();
        int n = px.Length;
        double mx = px.Average(), my = py.Average();
        double sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            sxx += (px[i] - mx) * (px[i] - mx);
            syy += (py[i] - my) * (py[i] - my);
            sxy += (px[i] - mx) * (py[i] - my);
        }
        double denom = Math.Max(n - 1, 1), factor2 = Math.Pow(n, -2.0 / 6.0);
        double cxx = sxx / denom * factor2, cyy = syy / denom * factor2, cxy = sxy / denom * factor2;
        double det = cxx * cyy - cxy * cxy;
        if (!(det > 1e-300))
        {
            // A degenerate sample (a line or a point): widen to a round kernel of the grid's scale.
            double s = Math.Pow((xLim.Hi - xLim.Lo) / bins, 2) + Math.Pow((yLim.Hi - yLim.Lo) / bins, 2);
            cxx = cxx + s; cyy = cyy + s; cxy = 0; det = cxx * cyy;
        }
        double ixx = cyy / det, iyy = cxx / det, ixy = -cxy / det;
        var z = new double[bins, bins];
        for (int i = 0; i < bins; i++)
        {
            double y = yLim.Lo + (yLim.Hi - yLim.Lo) * i / (bins - 1);
            for (int j = 0; j < bins; j++)
            {
                double x = xLim.Lo + (xLim.Hi - xLim.Lo) * j / (bins - 1), sum = 0;
                for (int k = 0; k < n; k++)
                {
                    double dx = x - px[k], dy = y - py[k];
                    sum += Math.Exp(-0.5 * (ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy));
                }
                z[i, j] = sum / (n * 2 * Math.PI * Math.Sqrt(det));
            }
        }
        return z;
    }

    /// <summary>
    /// For each level ℓ (fractions of mass, ascending), the density t such that the grid cells with density ≥ t hold
    /// a fraction ℓ of the total (sbi's <c>probs2contours</c> labels the cells by these sets; its contour lines are
    /// their boundaries). Returned in ascending density, i.e. for descending ℓ, as contour routines want.
    /// </summary>
    public static double[] LevelThresholds(double[,] density, IReadOnlyList<double> levels)
    {
        var values = density.Cast<double>().OrderByDescending(v => v).ToArray();
        double total = values.Sum();
        var thresholds = new List<double>();
        foreach (var level in levels.OrderByDescending(l => l))
        {
            double cumulative = 0, t = values[^1];
            foreach (var v in values)
            {
                cumulative += v;
                if (cumulative / total >= level) { t = v; break; }
            }
            thresholds.Add(t);
        }
        return thresholds.ToArray();
    }
}
