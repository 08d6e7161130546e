namespace Sbi.Testing;

/// <summary>The bounds of the SBC, TARP and Kolmogorov–Smirnov tests (tests/Sbi.Net.Tests/Diagnostics).</summary>
public static partial class Tolerances
{
    /// <summary>
    /// Absolute float64 error of P(Dₙ ≥ d) between two implementations of scipy's <c>_kolmogn</c>, the SF being
    /// 1 − CDF where the CDF is computed: Pomeranz's recursion (n ≤ 140, n·d² ≤ 4) runs 2n + 1 rows, each entry a
    /// convolution of at most npwrs + 1 ≤ 4√n + 3 non-negative products (npwrs = 2(⌊nd⌋ + 1) and nd ≤ 2√n), so its
    /// relative error is at most (2n + 1)(4√n + 4)·u (first order, worst case); Durbin's matrix power needs
    /// 2⌈log₂ n⌉ products of m × m non-negative matrices (m = 2⌈nd⌉ − 1 ≤ 2·1.4^{2/3}·n^{1/3} + 1 where it is used)
    /// and 2n scalings, less than that for every n; Pelz–Good is a short sum. A CDF ≤ 1 with that relative error
    /// carries it as an absolute error into 1 − CDF; <see cref="KernelFactor"/> for the other implementation's
    /// summation order (numpy's BLAS products, scipy's long-double scaling).
    /// </summary>
    public static double KolmogorovSfAbsolute(int n) => KernelFactor * (2.0 * n + 1) * (4 * Math.Sqrt(n) + 4) * U64;

    /// <summary>
    /// Relative error of the one-sided Smirnov tail P(Dₙ⁺ ≥ d) (used by scipy where 2·P(Dₙ⁺ ≥ d) is P(Dₙ ≥ d): d ≥ 0.5,
    /// n·d² ≥ 2.2 above n = 140, n·d² ≥ 4 up to it): Sbi.Net sums the Birnbaum–Tingey terms from their logarithms, each
    /// log a sum of six quantities of size ≤ n·ln(n + 1) (log-gammas of n + 1, v + 1, n − v + 1 and (v − 1)·ln(d + v/n),
    /// (n − v)·ln(1 − d − v/n), with d ≥ √(2.2/n)), each within 2 ulps (MathNet's GammaLn, the products), plus exp and
    /// the sum of positive terms: (12 + 4)·n·ln(n + 1)·u relative; scipy's double-double sum is far more accurate.
    /// </summary>
    public static double SmirnovRelative(int n) => 16 * n * Math.Log(n + 1.0) * U64;

    /// <summary>The KS p-value of a one-sample test of size n against scipy's: <see cref="KolmogorovSfAbsolute"/> + <see cref="SmirnovRelative"/>·p.</summary>
    public static double KsPValue(int n, double p) => KolmogorovSfAbsolute(n) + SmirnovRelative(n) * Math.Abs(p);

    /// <summary>
    /// scipy's <c>_compute_prob_outside_square(n, h)</c> is a Horner form of ⌊n/h⌋ + 1 factors, each h products and
    /// quotients: 2h(⌊n/h⌋ + 1) + 2 operations on values ≤ 1 (<see cref="Formula"/> in float64); Sbi.Net runs the same
    /// operations in the same order.
    /// </summary>
    public static double ProbOutsideSquare(int n, int h) => Formula(2 * h * (n / h + 1) + 2, 1.0, U64);

    /// <summary>
    /// One entry of TARP's expected coverage ECPᵢ = Σ_{j &lt; i} (c_j/T/w_j) / Σ_j (c_j/T/w_j) ≤ 1 from exact counts c_j and
    /// float32 bin edges: each summand carries two quotients and its width's difference (3 roundings), the cumulative
    /// sum ≤ bins roundings relative to partial sums ≤ the total, the normalisation one: (bins + 4)·u relative and so
    /// absolute, times <see cref="KernelFactor"/> for another summation order (libtorch's vectorised cumsum and sum).
    /// </summary>
    public static double TarpEcp(int bins, double u) => KernelFactor * (bins + 4) * u;

    /// <summary>
    /// TARP's ATC = Σ_{i ≥ len/2} (ECPᵢ − αᵢ)·Δα over at most bins/2 + 1 terms of size ≤ Δα: each term inherits
    /// <see cref="TarpEcp"/> from ECPᵢ and adds three roundings (difference, product, sum) of itself:
    /// (bins/2 + 1)·Δα·(TarpEcp + 3u).
    /// </summary>
    public static double TarpAtc(int bins, double dAlpha, double u) => (bins / 2 + 1) * Math.Abs(dAlpha) * (TarpEcp(bins, u) + 3 * u);

    /// <summary>
    /// The KS p-value below which a posterior counts as miscalibrated: 2·exp(−λ²/2) = 7.9·10⁻⁵ with λ =
    /// <see cref="MonteCarloZ"/>, the suite's per-check false-alarm rate. Under calibration a rank (or ECP) p-value is
    /// uniform on (0, 1), or stochastically larger since discrete ranks make the test conservative, so a calibrated
    /// posterior falls below this level with probability ≤ 7.9·10⁻⁵ per dimension. sbi's own tests use 0.05 (tests/
    /// sbc_test.py, tarp_test.py at 900821dc), which a calibrated posterior misses in one dimension out of twenty
    /// (seed 1 of CalibrationTests' analytic posterior gives 0.048); the tests print where each p-value stands against
    /// 0.05 as well.
    /// </summary>
    public static readonly double CalibratedKsLevel = 2 * Math.Exp(-MonteCarloZ * MonteCarloZ / 2);

    /// <summary>sbi's own acceptance level for calibration checks (p &gt; 0.05), reported beside <see cref="CalibratedKsLevel"/>.</summary>
    public const double SbiKsLevel = 0.05;

    /// <summary>
    /// The largest C2ST accuracy of two samples of <paramref name="n"/> rows each from one distribution: the held-out
    /// predictions of the five folds cover all 2n rows once, and with no difference to learn a prediction is right with
    /// probability 1/2 whatever the classifier learnt, so the accuracy is a Binomial(2n, ½)/2n (the fixed fold sizes
    /// only anti-correlate it): 0.5 + <see cref="MonteCarloZ"/>·√(0.25/2n).
    /// </summary>
    public static double C2stSameDistribution(long n) => 0.5 + MonteCarloZ * Math.Sqrt(0.25 / (2.0 * n));

    /// <summary>
    /// |ATC| of a calibrated posterior with <paramref name="n"/> TARP samples of <paramref name="numPosteriorSamples"/>
    /// draws each, on the grid <paramref name="alpha"/> that run returned: the coverage value is k/L with k uniform on
    /// 0..L, so ECP(αᵢ) is F_N(αᵢ), the empirical CDF of N such values, with bias |E F_N(α) − α| ≤ 1/(L + 1) and
    /// covariance (min(αᵢ, αⱼ) − αᵢαⱼ)/N; ATC = Δα Σ_{i ≥ mid} (F_N(αᵢ) − αᵢ) is then within
    /// (terms)·Δα/(L + 1) + <see cref="MonteCarloZ"/>·σ of 0, σ² = Δα²/N · Σᵢⱼ (min(αᵢ, αⱼ) − αᵢαⱼ) (a sum of an
    /// empirical process, Gaussian for N ≥ 100).
    /// </summary>
    public static double TarpCalibratedAtc(int n, int numPosteriorSamples, IReadOnlyList<double> alpha)
    {
        int mid = alpha.Count / 2;
        double dAlpha = alpha[1] - alpha[0], variance = 0;
        for (int i = mid; i < alpha.Count; i++)
            for (int j = mid; j < alpha.Count; j++)
            {
                double a = Math.Clamp(alpha[i], 0, 1), b = Math.Clamp(alpha[j], 0, 1);
                variance += Math.Min(a, b) - a * b;
            }
        variance *= dAlpha * dAlpha / n;
        return (alpha.Count - mid) * dAlpha / (numPosteriorSamples + 1.0) + MonteCarloZ * Math.Sqrt(variance);
    }
}
