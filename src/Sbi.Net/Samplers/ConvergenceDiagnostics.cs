using MathNet.Numerics.Distributions;

namespace Sbi.Samplers;

/// <summary>
/// Rank-normalised split-R̂ and bulk effective sample size (Vehtari, Gelman, Simpson, Carpenter and Bürkner 2021,
/// "Rank-normalization, folding, and localization: an improved R̂", Bayesian Analysis 16(2)), computed as ArviZ does
/// (arviz/stats/diagnostics.py: <c>_rhat_rank</c>, <c>_ess_bulk</c>, <c>_ess</c> with Geyer's initial monotone sequence).
/// sbi prints neither; Pyro's and PyMC's summaries do, and users of sbi's MCMC read them there.
/// Draws of one parameter are chain-major: chain c's draw t at c·drawsPerChain + t.
/// </summary>
public static class ConvergenceDiagnostics
{
    /// <summary>
    /// Rank-normalised split-R̂: the larger of the bulk R̂ (of the rank-normalised split chains) and the tail R̂ (of
    /// the rank-normalised folded draws |x − median|), ArviZ's <c>method="rank"</c>. NaN with fewer than 4 draws per chain.
    /// </summary>
    public static double SplitRhat(ReadOnlySpan<double> draws, int numChains, int drawsPerChain)
    {
        var split = Split(draws, numChains, drawsPerChain, out int m, out int n);
        if (n < 2 || !AllFinite(split)) return double.NaN;
        double bulk = Rhat(RankNormalise(split), m, n);
        double median = Median(split);
        var folded = split.Select(v => Math.Abs(v - median)).ToArray();
        double tail = Rhat(RankNormalise(folded), m, n);
        return Math.Max(bulk, tail);
    }

    /// <summary>Bulk ESS: the ESS of the rank-normalised split chains (ArviZ's <c>ess(method="bulk")</c>). NaN with fewer than 4 draws per chain.</summary>
    public static double BulkEss(ReadOnlySpan<double> draws, int numChains, int drawsPerChain)
    {
        var split = Split(draws, numChains, drawsPerChain, out int m, out int n);
        if (n < 2 || !AllFinite(split)) return double.NaN;
        return Ess(RankNormalise(split), m, n);
    }

    /// <summary>
    /// ESS of the draws as they are (no ranks, no split): what the Monte-Carlo standard error sd/√ESS of a mean uses
    /// (ArviZ's <c>ess(method="mean")</c> without its split). NaN with fewer than 4 draws per chain.
    /// </summary>
    public static double MeanEss(ReadOnlySpan<double> draws, int numChains, int drawsPerChain)
    {
        Check(draws, numChains, drawsPerChain);
        if (drawsPerChain < 4) return double.NaN;
        var x = draws.ToArray();
        return AllFinite(x) ? Ess(x, numChains, drawsPerChain) : double.NaN;
    }

    /// <summary>
    /// The diagnostics of a run: <paramref name="draws"/> (chains × drawsPerChain × dim, chain-major), with per-draw
    /// acceptance statistics and divergence flags (chains × drawsPerChain) where the kernel has them.
    /// </summary>
    public static McmcDiagnostics Compute(ReadOnlySpan<double> draws, int numChains, int drawsPerChain, int dim,
                                          ReadOnlySpan<double> acceptStatistics = default, ReadOnlySpan<bool> divergent = default)
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dim must be ≥ 1; got {dim}.");
        if (draws.Length != (long)numChains * drawsPerChain * dim)
            throw new ArgumentException($"draws must hold numChains·drawsPerChain·dim = {(long)numChains * drawsPerChain * dim} values; got {draws.Length}.", nameof(draws));
        var rhat = new double[dim];
        var ess = new double[dim];
        var column = new double[numChains * drawsPerChain];
        for (int d = 0; d < dim; d++)
        {
            for (int i = 0; i < column.Length; i++) column[i] = draws[i * dim + d];
            rhat[d] = SplitRhat(column, numChains, drawsPerChain);
            ess[d] = BulkEss(column, numChains, drawsPerChain);
        }
        double? acceptance = null;
        if (!acceptStatistics.IsEmpty)
        {
            double sum = 0;
            foreach (var a in acceptStatistics) sum += a;
            acceptance = sum / acceptStatistics.Length;
        }
        int divergences = 0;
        foreach (var b in divergent) if (b) divergences++;
        return new McmcDiagnostics(rhat, ess, acceptance, divergences, numChains, drawsPerChain);
    }

    /// <summary>R̂ of m chains of n draws (Gelman et al. BDA3 eq. 11.4).</summary>
    private static double Rhat(double[] x, int m, int n)
    {
        double grand = 0, within = 0, betweenSq = 0;
        var means = new double[m];
        for (int c = 0; c < m; c++)
        {
            double s = 0;
            for (int t = 0; t < n; t++) s += x[c * n + t];
            means[c] = s / n;
            grand += means[c];
        }
        grand /= m;
        for (int c = 0; c < m; c++)
        {
            double v = 0;
            for (int t = 0; t < n; t++) { double e = x[c * n + t] - means[c]; v += e * e; }
            within += v / (n - 1);
            betweenSq += (means[c] - grand) * (means[c] - grand);
        }
        within /= m;
        double between = m > 1 ? n * betweenSq / (m - 1) : 0;
        if (within <= 0) return double.NaN;
        double varHat = (n - 1.0) / n * within + between / n;
        return Math.Sqrt(varHat / within);
    }

    /// <summary>ESS of m chains of n draws with Geyer's initial positive and monotone sequences (ArviZ <c>_ess</c>).</summary>
    private static double Ess(double[] x, int m, int n)
    {
        var means = new double[m];
        for (int c = 0; c < m; c++)
        {
            double s = 0;
            for (int t = 0; t < n; t++) s += x[c * n + t];
            means[c] = s / n;
        }
        // Mean over chains of the biased (1/n) autocovariance at lag t, computed on demand: Geyer's sequence usually
        // stops after a few lags, so this is O(m·n·lags) rather than a full FFT.
        double Acov(int lag)
        {
            double total = 0;
            for (int c = 0; c < m; c++)
            {
                double s = 0, mu = means[c];
                int o = c * n;
                for (int t = 0; t + lag < n; t++) s += (x[o + t] - mu) * (x[o + t + lag] - mu);
                total += s / n;
            }
            return total / m;
        }
        double meanVar = Acov(0) * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n;
        if (m > 1)
        {
            double mu = means.Average(), v = 0;
            foreach (var cm in means) v += (cm - mu) * (cm - mu);
            varPlus += v / (m - 1);
        }
        if (!(varPlus > 0)) return double.NaN;
        var rho = new double[n];
        rho[0] = 1;
        double rhoEven = 1, rhoOdd = 1 - (meanVar - Acov(1)) / varPlus;
        rho[1] = rhoOdd;
        int k = 1;
        while (k < n - 3 && rhoEven + rhoOdd > 0)
        {
            rhoEven = 1 - (meanVar - Acov(k + 1)) / varPlus;
            rhoOdd = 1 - (meanVar - Acov(k + 2)) / varPlus;
            if (rhoEven + rhoOdd >= 0)
            {
                rho[k + 1] = rhoEven;
                rho[k + 2] = rhoOdd;
            }
            k += 2;
        }
        int maxT = k - 2;
        if (rhoEven > 0) rho[maxT + 1] = rhoEven;
        for (int t = 1; t <= maxT - 2; t += 2)
        {
            if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t])
            {
                rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0;
                rho[t + 2] = rho[t + 1];
            }
        }
        double total = (double)m * n;
        double sum = 0;
        for (int t = 0; t <= maxT; t++) sum += rho[t];
        double tau = -1.0 + 2.0 * sum + (maxT + 1 < n ? rho[maxT + 1] : 0);
        tau = Math.Max(tau, 1 / Math.Log10(total));
        return total / tau;
    }

    /// <summary>Each chain's first and last ⌊n/2⌋ draws as two chains (ArviZ <c>_split_chains</c>; a middle draw of an odd chain is dropped).</summary>
    private static double[] Split(ReadOnlySpan<double> draws, int numChains, int drawsPerChain, out int m, out int n)
    {
        Check(draws, numChains, drawsPerChain);
        n = drawsPerChain / 2;
        m = 2 * numChains;
        var split = new double[m * n];
        for (int c = 0; c < numChains; c++)
        {
            draws.Slice(c * drawsPerChain, n).CopyTo(split.AsSpan(2 * c * n, n));
            draws.Slice(c * drawsPerChain + drawsPerChain - n, n).CopyTo(split.AsSpan((2 * c + 1) * n, n));
        }
        return split;
    }

    /// <summary>Φ⁻¹((r − 3/8) / (S + 1/4)) of the average ranks r over all S draws (Vehtari et al. eq. 14; ties share their mean rank).</summary>
    private static double[] RankNormalise(double[] x)
    {
        int s = x.Length;
        var order = Enumerable.Range(0, s).ToArray();
        Array.Sort(order, (a, b) => x[a].CompareTo(x[b]));
        var z = new double[s];
        for (int i = 0; i < s;)
        {
            int j = i;
            while (j + 1 < s && x[order[j + 1]] == x[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            double q = Normal.InvCDF(0, 1, (rank - 0.375) / (s + 0.25));
            for (int k = i; k <= j; k++) z[order[k]] = q;
            i = j + 1;
        }
        return z;
    }

    private static double Median(double[] x)
    {
        var sorted = (double[])x.Clone();
        Array.Sort(sorted);
        int h = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
    }

    private static bool AllFinite(double[] x) => x.All(double.IsFinite);

    private static void Check(ReadOnlySpan<double> draws, int numChains, int drawsPerChain)
    {
        if (numChains < 1) throw new ArgumentOutOfRangeException(nameof(numChains), numChains, $"numChains must be ≥ 1; got {numChains}.");
        if (drawsPerChain < 1) throw new ArgumentOutOfRangeException(nameof(drawsPerChain), drawsPerChain, $"drawsPerChain must be ≥ 1; got {drawsPerChain}.");
        if (draws.Length != (long)numChains * drawsPerChain)
            throw new ArgumentException($"draws must hold numChains·drawsPerChain = {(long)numChains * drawsPerChain} values; got {draws.Length}.", nameof(draws));
    }
}
