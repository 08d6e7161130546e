using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// Quality signals of importance weights, computed in float64 from log weights (n): Kish's effective sample size and
/// the Pareto-k̂ of Pareto-smoothed importance sampling (PSIS; Vehtari, Simpson, Gelman, Yao and Gabry, "Pareto
/// smoothed importance sampling", JMLR 25, 2024). −∞ log weights are zero weights; NaN or +∞ is an error.
/// </summary>
public static class ImportanceWeights
{
    /// <summary>k̂ above which importance-sampling estimates are unreliable (PSIS §3: the variance is infinite for k ≥ 1, and convergence impractically slow above 0.7).</summary>
    public const double ParetoKThreshold = 0.7;

    /// <summary>Kish's effective sample size (Σw)² / Σw²: n for equal weights, 1 when one weight dominates, 0 when every weight is zero.</summary>
    public static double EffectiveSampleSize(Tensor logWeights)
    {
        var w = Normalised(logWeights, nameof(logWeights));
        double sum = 0, sumSq = 0;
        foreach (var v in w) { sum += v; sumSq += v * v; }
        return sumSq > 0 ? sum * sum / sumSq : 0;
    }

    /// <summary>
    /// log((1/n) Σ exp(log wᵢ)) in float64 (sbi's normalisation-constant estimate, <c>mean(exp(log_weights))</c>,
    /// without its float32 overflow); −∞ when every weight is zero.
    /// </summary>
    public static double LogMeanExp(Tensor logWeights)
    {
        var lw = Values(logWeights, nameof(logWeights));
        double max = lw.Max();
        if (double.IsNegativeInfinity(max)) return double.NegativeInfinity;
        double sum = 0;
        foreach (var v in lw) sum += Math.Exp(v - max);
        return max + Math.Log(sum / lw.Length);
    }

    /// <summary>
    /// The PSIS shape estimate k̂ (psis.py's <c>psislw</c> by Vehtari et al., github.com/avehtari/PSIS): the
    /// M = ⌈min(n/5, 3√n)⌉ largest weights above the (M+1)-th largest, as exceedances over it, are fitted with a
    /// generalized Pareto distribution (<see cref="GeneralizedParetoShape"/>). k̂ &lt; 0.5: finite variance; above
    /// <see cref="ParetoKThreshold"/> estimates are unreliable. +∞ when fewer than five weights exceed the threshold
    /// because there are too few weights (psis.py's rule); −∞ when they are too few because the largest weights are
    /// tied (a bounded tail: equal weights are the ideal case, which psis.py would call +∞).
    /// Deviation from sbi's <c>psis_diagnostics</c> (sbi/samplers/vi/vi_quality_control.py): sbi fits the largest
    /// weights themselves rather than their exceedances over the threshold, which does not estimate the tail shape.
    /// </summary>
    public static double ParetoK(Tensor logWeights)
    {
        var lw = Values(logWeights, nameof(logWeights)).Where(double.IsFinite).ToArray();
        int n = lw.Length;
        if (n == 0) return double.PositiveInfinity;
        Array.Sort(lw);
        double max = lw[^1];
        int m = (int)Math.Ceiling(Math.Min(0.2 * n, 3 * Math.Sqrt(n)));
        if (m < 5 || m + 1 > n) return double.PositiveInfinity;
        // The threshold is at least the smallest positive double relative to the largest weight (psis.py's cutoffmin).
        double cutoff = Math.Max(lw[n - m - 1] - max, Math.Log(double.Epsilon));
        double expCutoff = Math.Exp(cutoff);
        var tail = lw.Where(v => v - max > cutoff).Select(v => Math.Exp(v - max) - expCutoff).ToArray();   // sorted ascending
        if (tail.Length <= 4) return double.NegativeInfinity;
        return GeneralizedParetoShape(tail);
    }

    /// <summary>
    /// The shape k of a generalized Pareto distribution (location 0) fitted to positive data sorted ascending, by Zhang
    /// and Stephens' (2009, Technometrics 51(3)) empirical-Bayes estimate with Vehtari et al.'s weakly informative
    /// prior shrinking k towards 0.5 with weight 10 (psis.py's <c>gpdfitnew</c>, sbi's <c>gpdfit</c> in
    /// sbi/samplers/importance/importance_sampling.py). Asymptotically efficient: its spread approaches the maximum
    /// likelihood estimate's (1 + k)/√N for k &gt; −1/2.
    /// </summary>
    public static double GeneralizedParetoShape(IReadOnlyList<double> sortedData)
    {
        ArgumentNullException.ThrowIfNull(sortedData);
        int n = sortedData.Count;
        if (n < 2) throw new ArgumentException($"sortedData must hold at least 2 values; got {n}.", nameof(sortedData));
        for (int i = 0; i < n; i++)
            if (!(sortedData[i] > 0) || !double.IsFinite(sortedData[i]) || (i > 0 && sortedData[i] < sortedData[i - 1]))
                throw new ArgumentException($"sortedData must be positive, finite and sorted ascending; entry {i} is {sortedData[i]}.", nameof(sortedData));
        const double prior = 3, a = 10;
        int grid = 30 + (int)Math.Sqrt(n);
        double quartile = sortedData[(int)(n / 4.0 + 0.5) - 1], largest = sortedData[n - 1];
        var bs = new double[grid];
        var ls = new double[grid];
        for (int j = 0; j < grid; j++)
        {
            // Zhang and Stephens' grid of θ = −k/σ values, and the profile log-likelihood at each.
            bs[j] = (1 - Math.Sqrt(grid / (j + 1 - 0.5))) / (prior * quartile) + 1 / largest;
            double k = 0;
            foreach (var x in sortedData) k += Math.Log(1 - bs[j] * x);
            k /= n;
            ls[j] = n * (Math.Log(-bs[j] / k) - k - 1);
        }
        var w = new double[grid];
        for (int j = 0; j < grid; j++)
        {
            double s = 0;
            for (int i = 0; i < grid; i++) s += Math.Exp(ls[i] - ls[j]);
            w[j] = 1 / s;
        }
        // Negligible quadrature weights are dropped, as psis.py does, before normalising.
        const double negligible = 10 * 2.220446049250313e-16;   // 10 float64 machine epsilons, psis.py's cut
        double total = 0, b = 0;
        for (int j = 0; j < grid; j++) if (w[j] >= negligible) total += w[j];
        for (int j = 0; j < grid; j++) if (w[j] >= negligible) b += bs[j] * w[j] / total;
        double kHat = 0;
        foreach (var x in sortedData) kHat += Math.Log(1 - b * x);
        kHat /= n;
        return kHat * n / (n + a) + a * 0.5 / (n + a);
    }

    /// <summary>The weights exp(log w − max log w) of the finite entries (all zeros when none is finite).</summary>
    private static double[] Normalised(Tensor logWeights, string name)
    {
        var lw = Values(logWeights, name);
        double max = lw.Max();
        if (double.IsNegativeInfinity(max)) return new double[lw.Length];
        return lw.Select(v => Math.Exp(v - max)).ToArray();
    }

    /// <summary>The log weights as float64 values, checked: one dimension, non-empty, no NaN or +∞.</summary>
    private static double[] Values(Tensor logWeights, string name)
    {
        ArgumentNullException.ThrowIfNull(logWeights, name);
        if (logWeights.dim() != 1 || logWeights.shape[0] == 0)
            throw new ArgumentException($"{name} must have shape (n) with n ≥ 1; got {Guard.Shape(logWeights)}.", name);
        using var cpu = logWeights.detach().to(ScalarType.Float64).cpu();
        var values = cpu.data<double>().ToArray();
        int bad = values.Count(v => double.IsNaN(v) || double.IsPositiveInfinity(v));
        if (bad > 0) throw new ArgumentException($"{name} must be finite or −∞; it has {bad} NaN or +∞ entries.", name);
        return values;
    }
}
