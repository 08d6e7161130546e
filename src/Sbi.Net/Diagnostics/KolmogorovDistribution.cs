using MathNet.Numerics;

namespace Sbi.Diagnostics;

/// <summary>
/// The exact distribution of the two-sided one-sample Kolmogorov–Smirnov statistic Dₙ = supₓ |Fₙ(x) − F(x)|, ported
/// from scipy 1.10 (scipy/stats/_ksstats.py <c>_kolmogn</c>: Simard and L'Ecuyer's (2011) choice between the
/// Ruben–Gambino closed forms, Durbin's matrix algorithm in Marsaglia, Tsang and Wang's (2003) form, Pomeranz's (1974)
/// recursion and the Pelz–Good (1976) expansion, and 2× the one-sided Smirnov tail where it is exact or nearly so).
/// The one-sided tail P(Dₙ⁺ ≥ d) (scipy.special.smirnov, computed there in double-double arithmetic) is the
/// Birnbaum–Tingey sum evaluated here term by term in logarithms: all its terms are positive, so the only error is
/// each term's logarithm, a few ulps of quantities of size n·ln n (relative error ≲ 10⁻¹¹ for n = 1,000).
/// </summary>
public static class KolmogorovDistribution
{
    private const double E128 = 3.402823669209385e38;        // 2^128, scipy's _EP128
    private const double EM128 = 2.938735877055719e-39;      // 2^-128, scipy's _EM128
    private const double Sqrt2Pi = 2.5066282746310002;
    private const double Log2Pi = 1.8378770664093453;
    private const double MinLog = -708;
    private static readonly double Sqrt3 = Math.Sqrt(3);
    private const double PiSquared = Math.PI * Math.PI;
    private const double PiFour = PiSquared * PiSquared;
    private const double PiSix = PiFour * PiSquared;

    // B_{2j}/(2j)/(2j-1) for j = 8..1 (scipy's _STIRLING_COEFFS, lifted there from _loggamma.pxd).
    private static readonly double[] StirlingCoeffs =
    [
        -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
        -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    ];

    /// <summary>P(Dₙ ≥ d), scipy's <c>kstwo.sf(d, n)</c>.</summary>
    public static double Sf(int n, double d) => Kolmogn(n, d, cdf: false);

    /// <summary>P(Dₙ ≤ d), scipy's <c>kstwo.cdf(d, n)</c>.</summary>
    public static double Cdf(int n, double d) => Kolmogn(n, d, cdf: true);

    /// <summary>The one-sided tail P(Dₙ⁺ ≥ d) (scipy.special.smirnov): the Birnbaum–Tingey sum Σ_{v ≤ n(1−d)} C(n,v) d (d + v/n)^{v−1} (1 − d − v/n)^{n−v}.</summary>
    public static double SmirnovSf(int n, double d)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be positive; got {n}.");
        if (double.IsNaN(d)) return double.NaN;
        if (d <= 0) return 1.0;
        if (d >= 1) return 0.0;
        int last = (int)Math.Floor(n * (1.0 - d));
        double logN1 = SpecialFunctions.GammaLn(n + 1.0), logD = Math.Log(d);
        var logTerms = new List<double>(last + 1);
        for (int v = 0; v <= last; v++)
        {
            double evn = d + (double)v / n, omevn = 1.0 - evn;
            if (!(omevn > 0) && n - v > 0) continue;   // (1 − d − v/n)^{n−v} = 0
            double t = logN1 - SpecialFunctions.GammaLn(v + 1.0) - SpecialFunctions.GammaLn(n - v + 1.0) + logD
                       + (v - 1) * Math.Log(evn) + (n - v == 0 ? 0 : (n - v) * Math.Log(omevn));
            logTerms.Add(t);
        }
        if (logTerms.Count == 0) return 0.0;
        double max = logTerms.Max();
        double sum = 0;
        foreach (var t in logTerms.OrderBy(t => t)) sum += Math.Exp(t - max);   // smallest first: all terms positive
        return Math.Clamp(Math.Exp(max) * sum, 0, 1);
    }

    /// <summary>scipy's <c>_kolmogn(n, x, cdf)</c>: the CDF or SF of Dₙ at x.</summary>
    private static double Kolmogn(int n, double x, bool cdf)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be positive; got {n}.");
        if (double.IsNaN(x)) return double.NaN;
        if (x >= 1.0) return Select(1.0, 0.0, cdf);
        if (x <= 0.0) return Select(0.0, 1.0, cdf);
        double t = n * x;
        if (t <= 1.0)
        {
            // Ruben–Gambino: 1/2n ≤ x ≤ 1/n.
            if (t <= 0.5) return Select(0.0, 1.0, cdf);
            double prob;
            if (n <= 140)
            {
                prob = 1.0;
                for (int i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
            }
            else prob = Math.Exp(LogNFactorialDivNPowN(n) + n * Math.Log(2 * t - 1));
            return Select(prob, 1.0 - prob, cdf);
        }
        if (t >= n - 1)
        {
            double prob = 2 * Math.Pow(1.0 - x, n);
            return Select(1 - prob, prob, cdf);
        }
        if (x >= 0.5)
        {
            double prob = 2 * SmirnovSf(n, x);
            return Select(1.0 - prob, prob, cdf);
        }
        double nxSquared = t * x;
        if (n <= 140)
        {
            if (nxSquared <= 0.754693)
            {
                double prob = Dmtw(n, x);
                return Select(prob, 1.0 - prob, cdf);
            }
            if (nxSquared <= 4)
            {
                double prob = Pomeranz(n, x);
                return Select(prob, 1.0 - prob, cdf);
            }
            double p2 = 2 * SmirnovSf(n, x);
            return Select(1.0 - p2, p2, cdf);
        }
        // The CDF and the SF have different cut-offs on n·x².
        if (!cdf)
        {
            if (nxSquared >= 370.0) return 0.0;
            if (nxSquared >= 2.2) return Math.Clamp(2 * SmirnovSf(n, x), 0, 1);
        }
        double cdfProb;
        if (nxSquared >= 18.0) cdfProb = 1.0;
        else if (n <= 100000 && n * Math.Pow(x, 1.5) <= 1.4) cdfProb = Dmtw(n, x);
        else cdfProb = PelzGood(n, x);
        return Select(cdfProb, 1.0 - cdfProb, cdf);
    }

    private static double Select(double cdfProb, double sfProb, bool cdf) => Math.Clamp(cdf ? cdfProb : sfProb, 0.0, 1.0);

    /// <summary>log(n!/nⁿ) by Stirling's series with n·log(n) removed up front (scipy's <c>_log_nfactorial_div_n_pow_n</c>).</summary>
    private static double LogNFactorialDivNPowN(int n)
    {
        double rn = 1.0 / n, z = rn / n, poly = 0;
        foreach (var c in StirlingCoeffs) poly = poly * z + c;
        return Math.Log(n) / 2 - n + Log2Pi / 2 + rn * poly;
    }

    /// <summary>P(Dₙ ≤ d) by Durbin's matrix algorithm as Marsaglia, Tsang and Wang compute it (scipy's <c>_kolmogn_DMTW</c>).</summary>
    private static double Dmtw(int n, double d)
    {
        if (d >= 1.0) return 1.0;
        double nd = n * d;
        if (nd <= 0.5) return 0.0;
        int k = (int)Math.Ceiling(nd);
        double h = k - nd;
        int m = 2 * k - 1;
        var v = new double[m];
        var w = new double[m];
        double fac = 1.0;
        for (int j = 1; j <= m; j++)
        {
            v[j - 1] = 1.0 - Math.Pow(h, j);
            w[j - 1] = fac;
            fac /= j;
            v[j - 1] *= fac;
        }
        double tt = Math.Pow(Math.Max(2 * h - 1.0, 0), m) - 2 * Math.Pow(h, m);
        v[m - 1] = (1.0 + tt) * fac;
        var hMat = new double[m, m];
        for (int i = 1; i < m; i++)
            for (int r = i - 1; r < m; r++) hMat[r, i] = w[r - (i - 1)];
        for (int r = 0; r < m; r++) hMat[r, 0] = v[r];
        for (int c = 0; c < m; c++) hMat[m - 1, c] = v[m - 1 - c];

        var hPwr = new double[m, m];
        for (int i = 0; i < m; i++) hPwr[i, i] = 1.0;
        int nn = n, expnt = 0, hExpnt = 0;
        while (nn > 0)
        {
            if (nn % 2 == 1)
            {
                hPwr = MatMul(hPwr, hMat);
                expnt += hExpnt;
            }
            hMat = MatMul(hMat, hMat);
            hExpnt *= 2;
            if (Math.Abs(hMat[k - 1, k - 1]) > E128)
            {
                for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) hMat[i, j] /= E128;
                hExpnt += 128;
            }
            nn /= 2;
        }
        double p = hPwr[k - 1, k - 1];
        for (int i = 1; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < EM128)
            {
                p *= E128;
                expnt -= 128;
            }
        }
        if (expnt != 0) p = Math.ScaleB(p, expnt);
        return Math.Clamp(p, 0.0, 1.0);
    }

    private static double[,] MatMul(double[,] a, double[,] b)
    {
        int m = a.GetLength(0);
        var c = new double[m, m];
        for (int i = 0; i < m; i++)
            for (int l = 0; l < m; l++)
            {
                double ail = a[i, l];
                if (ail == 0) continue;
                for (int j = 0; j < m; j++) c[i, j] += ail * b[l, j];
            }
        return c;
    }

    /// <summary>The interval of non-zero entries of Pomeranz's row i (scipy's <c>_pomeranz_compute_j1j2</c>).</summary>
    private static (int J1, int J2) PomeranzJ1J2(int i, int n, int ll, int ceilf, int roundf)
    {
        int j1, j2;
        if (i == 0)
        {
            j1 = -ll - ceilf - 1;
            j2 = ll + ceilf - 1;
        }
        else
        {
            int ip1div2 = (i + 1) / 2, ip1mod2 = (i + 1) % 2;
            if (ip1mod2 == 0)
            {
                if (ip1div2 == n + 1)
                {
                    j1 = n - ll - ceilf - 1;
                    j2 = n + ll + ceilf - 1;
                }
                else
                {
                    j1 = ip1div2 - 1 - ll - roundf - 1;
                    j2 = ip1div2 + ll - 1 + ceilf - 1;
                }
            }
            else
            {
                j1 = ip1div2 - 1 - ll - 1;
                j2 = ip1div2 + ll + roundf - 1;
            }
        }
        return (Math.Max(j1 + 2, 0), Math.Min(j2, n));
    }

    /// <summary>P(Dₙ ≤ x) by Pomeranz's recursion (scipy's <c>_kolmogn_Pomeranz</c>), two rows at a time with rescaling.</summary>
    private static double Pomeranz(int n, double x)
    {
        double t = n * x;
        int ll = (int)Math.Floor(t);
        double f = t - ll;
        double g = Math.Min(f, 1.0 - f);
        int ceilf = f > 0 ? 1 : 0, roundf = f > 0.5 ? 1 : 0;
        int npwrs = 2 * (ll + 1);
        var gpower = new double[npwrs];
        var twogpower = new double[npwrs];
        var onem2gpower = new double[npwrs];
        gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
        double gOverN = g / n, twoGOverN = 2 * g / n, oneMinusTwoGOverN = (1 - 2 * g) / n;
        for (int m = 1; m < npwrs; m++)
        {
            gpower[m] = gpower[m - 1] * gOverN / m;
            twogpower[m] = twogpower[m - 1] * twoGOverN / m;
            onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / m;
        }
        var v0 = new double[npwrs];
        var v1 = new double[npwrs];
        v1[0] = 1;
        int v0s = 0, v1s = 0, expnt = 0;
        var (j1, j2) = PomeranzJ1J2(0, n, ll, ceilf, roundf);
        for (int i = 1; i < 2 * n + 2; i++)
        {
            int k1 = j1;
            (v0, v1) = (v1, v0);
            (v0s, v1s) = (v1s, v0s);
            Array.Clear(v1);
            (j1, j2) = PomeranzJ1J2(i, n, ll, ceilf, roundf);
            var pwrs = i == 1 || i == 2 * n + 1 ? gpower : i % 2 == 1 ? twogpower : onem2gpower;
            int ln2 = j2 - k1 + 1;
            if (ln2 <= 0) continue;
            // np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]) (full), slices clipped to the arrays as numpy does.
            int aStart = k1 - v0s;
            if (aStart < 0) throw new InvalidOperationException($"Pomeranz recursion left its rows (n = {n}, x = {x}).");
            int aLen = Math.Min(ln2, npwrs - aStart), bLen = Math.Min(ln2, npwrs);
            int convStart = j1 - k1, convLen = j2 - j1 + 1;
            double rowMax = 0;
            for (int o = 0; o < convLen; o++)
            {
                int c = convStart + o;   // conv[c] = Σ_a A[a] B[c − a]
                double s = 0;
                for (int a = Math.Max(0, c - bLen + 1); a <= Math.Min(c, aLen - 1); a++) s += v0[aStart + a] * pwrs[c - a];
                v1[o] = s;
                rowMax = Math.Max(rowMax, s);
            }
            if (rowMax > 0 && rowMax < EM128)
            {
                for (int o = 0; o < npwrs; o++) v1[o] *= E128;
                expnt -= 128;
            }
            v1s = v0s + j1 - k1;
        }
        double ans = v1[n - v1s];
        for (int m = 1; m <= n; m++)
        {
            if (Math.Abs(ans) > E128)
            {
                ans *= EM128;
                expnt += 128;
            }
            ans *= m;
        }
        if (expnt != 0) ans = Math.ScaleB(ans, expnt);
        return Math.Clamp(ans, 0.0, 1.0);
    }

    /// <summary>The Pelz–Good approximation of P(Dₙ ≤ x) (scipy's <c>_kolmogn_PelzGood</c>).</summary>
    private static double PelzGood(int n, double x)
    {
        if (x <= 0.0) return 0.0;
        if (x >= 1.0) return 1.0;
        double z = Math.Sqrt(n) * x;
        double zSquared = z * z, zThree = z * z * z, zFour = zSquared * zSquared, zSix = zThree * zThree;
        double qlog = -PiSquared / 8 / zSquared;
        if (qlog < MinLog) return 0.0;
        double q = Math.Exp(qlog);
        double k1a = -zSquared, k1b = PiSquared / 4;
        double k2a = 6 * zSix + 2 * zFour, k2b = (2 * zFour - 5 * zSquared) * PiSquared / 4, k2c = PiFour * (1 - 2 * zSquared) / 16;
        double k3d = PiSix * (5 - 30 * zSquared) / 64, k3c = PiFour * (-60 * zSquared + 212 * zFour) / 16;
        double k3b = PiSquared * (135 * zFour - 96 * zSix) / 4, k3a = -30 * zSix - 90 * Math.Pow(z, 8);
        var k = new double[4];
        int maxk = (int)Math.Ceiling(16 * z / Math.PI);
        for (int kk = maxk; kk > 0; kk--)
        {
            double m = 2 * kk - 1, mSquared = m * m, mFour = mSquared * mSquared, mSix = mFour * mSquared;
            double qpower = Math.Pow(q, 8 * kk);
            k[0] = k[0] * qpower + 1.0;
            k[1] = k[1] * qpower + (k1a + k1b * mSquared);
            k[2] = k[2] * qpower + (k2a + k2b * mSquared + k2c * mFour);
            k[3] = k[3] * qpower + (k3a + k3b * mSquared + k3c * mFour + k3d * mSix);
        }
        double[] denominators = [z, 6 * zFour, 72 * Math.Pow(z, 7), 6480 * Math.Pow(z, 10)];
        for (int i = 0; i < 4; i++) k[i] = k[i] * q * Sqrt2Pi / denominators[i];
        double q2 = Math.Exp(-PiSquared / 2 / zSquared);
        double sqrt3z = Sqrt3 * z, k2extra = 0, k3extra = 0;
        for (int kk = maxk; kk > 0; kk--)
        {
            double ks2 = (double)kk * kk, kspi = Math.PI * kk, qp = Math.Pow(q2, ks2);
            k2extra += ks2 * qp;
            k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
        }
        k[2] += k2extra * (PiSquared * Sqrt2Pi / (-36 * zThree));
        k[3] += k3extra * (PiSquared * Sqrt2Pi / (216 * zSix));
        double sum = 0;
        for (int i = 0; i < 4; i++) sum += k[i] / Math.Pow(n * 1.0, i / 2.0);
        return sum;
    }
}
