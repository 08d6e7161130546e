using static TorchSharp.torch;

namespace Sbi.Testing;

/// <summary>
/// Every numerical bound of the test suite, each with the derivation it comes from. No bound here is what one CPU
/// happened to print: floating-point bounds follow from unit roundoffs and from a float64 evaluation of the same
/// weights, Monte-Carlo bounds from standard errors, training-accuracy bounds from the spread over training seeds.
/// A test states a bound by naming a member of this class; a literal bound in a test is a bug.
/// </summary>
/// <remarks>
/// <para><b>The floating-point model.</b> Every float32 result r32 is judged by its distance to the float64 evaluation
/// r64 of the same formulas on the same (float32-valued) weights and inputs, never by the rounding sequence of another
/// float32 run: MKL, OpenBLAS and libtorch's vectorised kernels pick different summation orders and elementary-function
/// kernels per CPU (AVX2, AVX-512, scalar; <c>ATEN_CPU_CAPABILITY</c>, <c>MKL_ENABLE_INSTRUCTIONS</c>), so the last bits
/// of any float32 result move between machines while its distance to float64 keeps its size.</para>
/// <para>A comparison of two implementations (Sbi.Net against sbi, a fused kernel against the modules, ONNX Runtime
/// against TorchSharp) then splits into two checks, both machine-independent:</para>
/// <list type="number">
/// <item><b>Same maths</b>, in float64: |ours64 − ref64| ≤ <see cref="SameMathsFloat64"/>. Two float64 evaluations of
/// the same formulas differ by float64 rounding alone, which is the float32 rounding scaled by u64/u32 = 2⁻²⁹; a
/// wrong formula, constant or branch shows up here at full size.</item>
/// <item><b>Float32 accuracy</b>: |ours32 − ours64| ≤ <see cref="Float32"/>, a bound set by how far the reference's own
/// float32 evaluation is from its float64 one on the same rows (stored with sbi's fixtures as <c>f64/…</c> arrays,
/// computed by sbi itself in double precision; computed on the fly for TorchSharp references).</item>
/// </list>
/// <para>Together they bound the float32-to-float32 difference by the triangle inequality,
/// |ours32 − ref32| ≤ |ours32 − ours64| + |ours64 − ref64| + |ref64 − ref32|, which is reported but not asserted on
/// its own (it would repeat the two checks).</para>
/// </remarks>
public static partial class Tolerances
{
    // ------------------------------------------------------------------ floating point

    /// <summary>Unit roundoff of IEEE float32, 2⁻²⁴: the relative error bound of one correctly rounded operation.</summary>
    public const double U32 = 5.9604644775390625E-08;

    /// <summary>Unit roundoff of IEEE float64, 2⁻⁵³.</summary>
    public const double U64 = 1.1102230246251565E-16;

    /// <summary>
    /// How much larger one float32 evaluation's error may be than another's on the same formulas and rows: 2. Where the
    /// largest error of a check comes from a few ill-conditioned rows, the realised errors of one evaluation are a
    /// random draw whose size varies by more than that between runs; such checks take their reference error as the
    /// largest over <see cref="RoundingRealisations.Count"/> realisations (<see cref="RoundingRealisations"/>).
    /// To first order a row's rounding error is a sum Σₖ cₖ δₖ over the operations k, where the sensitivities cₖ are
    /// fixed by the maths and the data (the same for every implementation) and δₖ is operation k's relative error.
    /// Implementations differ in |δₖ| only: correctly rounded arithmetic and glibc's elementary functions stay within
    /// 0.5 ulp (u32), libtorch's vectorised SLEEF/VML kernels within 1 ulp (2·u32), and reordered reductions change
    /// which partial sums round (covered separately by <see cref="Reduction"/>). One ulp against half an ulp per
    /// operation gives the factor 2 between the error sizes of two evaluations.
    /// </summary>
    public const double KernelFactor = 2.0;

    /// <summary>
    /// Rounding of a length-<paramref name="n"/> reduction whose terms (or partial sums) have magnitude up to
    /// <paramref name="scale"/>: λ·√n·u·scale with λ = <see cref="MonteCarloZ"/>. Each partial sum rounds with relative
    /// error ≤ u and the errors are independent and mean-zero, so their sum is a random walk: Higham and Mary (2019, "A
    /// new approach to probabilistic rounding error analysis", Theorem 3.1) bound it by λ√n·u times the partial sums
    /// with probability at least 1 − 2·exp(−λ²/2), 1 − 8·10⁻⁵ for λ = 4.5, the suite's per-check false-alarm rate.
    /// Reordering the sum (other GEMM blocking, other vector width) draws another walk of the same size.
    /// </summary>
    public static double Reduction(long n, double scale, double u = U32) => MonteCarloZ * Math.Sqrt(Math.Max(n, 1)) * u * Math.Abs(scale);

    /// <summary>
    /// Float32 accuracy: the largest |ours32 − ours64| allowed when the reference's own float32 evaluation is
    /// <paramref name="referenceError"/> = max |ref32 − ref64| from float64 on the same rows:
    /// <see cref="KernelFactor"/>·referenceError + <see cref="Reduction"/>(n, scale), with n the longest reduction in the
    /// computation (the hidden width for the networks, the batch for means) and scale the largest |value|.
    /// </summary>
    public static double Float32(double referenceError, long n, double scale) => KernelFactor * referenceError + Reduction(n, scale);

    /// <summary>
    /// The float64 error of a computation whose float32 evaluation on the same inputs is <paramref name="float32Error"/>
    /// from the exact (float64) value. At fixed conditioning rounding errors are proportional to the unit roundoff (to
    /// first order), so the float64 error is (u64/u32)·float32Error, times <see cref="KernelFactor"/> for another mix of
    /// kernels, plus a float64 reordered reduction. Used where a test's exact answer is known in float64 (a round trip,
    /// an independently computed value) and the float32 run of the same test measures how ill-conditioned it is.
    /// </summary>
    public static double Float64FromFloat32(double float32Error, long n, double scale) =>
        KernelFactor * (U64 / U32) * float32Error + Reduction(n, scale, U64);

    /// <summary>
    /// The reverse of <see cref="Float64FromFloat32"/>: the float32 error of a computation whose float64 evaluation on
    /// the same inputs is <paramref name="float64Error"/> from the exact value, (u32/u64)·float64Error times
    /// <see cref="KernelFactor"/>, plus a float32 reordered reduction (which also covers a float64 error that happens to
    /// be 0). Used where the exact answer is known (a round trip is the identity) and the float64 run of the same test
    /// measures the conditioning.
    /// </summary>
    public static double Float32FromFloat64(double float64Error, long n, double scale) =>
        KernelFactor * (U32 / U64) * float64Error + Reduction(n, scale);

    /// <summary>
    /// A straight-line float32 formula of <paramref name="operations"/> operations on values of magnitude up to
    /// <paramref name="magnitude"/>, checked against its exact (double) value: each operation adds at most one rounding
    /// of relative size u (libtorch's vectorised transcendental kernels up to 1 ulp, hence <see cref="KernelFactor"/>),
    /// first order, worst case: KernelFactor·operations·u·magnitude. Used where the reference is a closed form.
    /// </summary>
    public static double Formula(int operations, double magnitude, double u = U32) => KernelFactor * operations * u * Math.Abs(magnitude);

    /// <summary>
    /// nflows' "identity" constant: ε + softplus(log(exp(1 − ε) − 1)) (the LU diagonal and the spline's boundary
    /// derivative at initialisation) is 1 up to the rounding of its eight operations, each adding ≤ u and at most
    /// doubling the relative error it inherits (values near 1): within 16·u of 1, in units of u.
    /// </summary>
    public const double IdentityConstantRoundings = 16;

    /// <summary>
    /// Same maths: the largest |ours64 − ref64| allowed between two float64 evaluations of the same formulas, given the
    /// reference's float32 error <paramref name="referenceFloat32Error"/> on the same rows: each float64 evaluation is
    /// within <see cref="Float64FromFloat32"/> of the exact value, so the two within twice that.
    /// </summary>
    public static double SameMathsFloat64(double referenceFloat32Error, long n, double scale) =>
        2 * Float64FromFloat32(referenceFloat32Error, n, scale);

    /// <summary>
    /// Absolute error of a knot of nflows' rational-quadratic spline with <paramref name="bins"/> bins on
    /// [−<paramref name="tailBound"/>, <paramref name="tailBound"/>] computed with unit roundoff <paramref name="u"/>: a
    /// knot is 2B·(cumulative sum of softmax fractions) − B, and each of the bins + 4 roundings on its way (exp, the sum,
    /// the division, the bins additions of the cumulative sum, the affine map) is relative to a quantity of at most 2B:
    /// (bins + 4)·u·2B. Knot errors enter a spline's value and log-derivative divided by the bin's width, which is why
    /// narrow bins amplify float32 rounding (the spline tests propagate this through each point's own bin).
    /// </summary>
    public static double SplineKnot(int bins, double tailBound, double u) => (bins + 4) * u * 2 * tailBound;

    /// <summary>
    /// Operations of nflows' rational-quadratic spline after its knots (ξ, the numerator and denominator polynomials,
    /// their quotient, the log-derivative's three logs and sums), counted from RationalQuadraticSpline.Evaluate: 24.
    /// With relative error ≤ u each and values of order |f| + 1, they add at most 24·u·(|f| + 1) to a result f.
    /// </summary>
    public const double SplineOperations = 24;

    // ------------------------------------------------------------------ Monte Carlo

    /// <summary>
    /// |z| bound for a Monte-Carlo comparison (a difference of estimates over its standard error): 4.5. The suite
    /// evaluates of the order of 10³ such z statistics per run (each moment of each dimension of each case); for a
    /// family-wise false-alarm rate of 1 % each may exceed its bound with probability 10⁻⁵, and P(|Z| &gt; 4.42) = 10⁻⁵
    /// for a standard normal (Bonferroni), rounded up to 4.5.
    /// </summary>
    public const double MonteCarloZ = 4.5;

    /// <summary>
    /// The largest split-R̂ of converged chains: m split chains (twice the chains) of a sampler that has reached its
    /// stationary distribution, each with effective sample size <paramref name="essPerSplitChain"/> (a run's bulk ESS
    /// over m). R̂² = (n − 1)/n + B/(nW) (BDA3 eq. 11.4), and at stationarity the m split-chain means are independent with
    /// variance σ²/ess, so B/(nW) = s²_means·ess/σ² / ess is χ²(m − 1)/(m − 1) over ess to first order. R̂ therefore stays
    /// below √(1 + q/((m − 1)·ess)) with q the χ²(m − 1) quantile at 1 − 10⁻⁵ (the suite's per-check false-alarm rate,
    /// see <see cref="MonteCarloZ"/>); ArviZ's rank-normalised and folded versions are the same statistic of transformed
    /// draws, and the larger of the two is bounded by the same quantile at 1 − 5·10⁻⁶.
    /// </summary>
    public static double ConvergedSplitRhat(int splitChains, double essPerSplitChain)
    {
        double q = MathNet.Numerics.Distributions.ChiSquared.InvCDF(splitChains - 1, 1 - 5e-6);
        return Math.Sqrt(1 + q / ((splitChains - 1) * essPerSplitChain));
    }

    /// <summary>|z| of a binomial proportion <paramref name="p"/> estimated from <paramref name="n"/> trials, against <paramref name="expected"/>.</summary>
    public static double BinomialZ(double p, double expected, double n) => Math.Abs(p - expected) / Math.Sqrt(expected * (1 - expected) / n);

    /// <summary>
    /// The largest split-R̂ − 1 of converged chains: <paramref name="numChains"/> chains of
    /// <paramref name="drawsPerChain"/> draws split into M = 2·numChains halves of n draws, with effective sample size
    /// <paramref name="ess"/> (integrated autocorrelation time τ = M·n/ESS). R̂² = (n − 1)/n + B/(nW) (BDA3 eq. 11.4),
    /// and for stationary chains each half's mean has variance τσ²/n, so B/W ≈ τ·χ²(M − 1)/(M − 1) and
    /// R̂ − 1 ≈ (B/W − 1)/(2n). The bound takes χ²'s upper quantile at the one-sided normal tail of
    /// <see cref="MonteCarloZ"/> (3.4·10⁻⁶): (τ·χ²_q(M − 1)/(M − 1) − 1)/(2n). For 4 chains of 1000 draws with τ = 1 it
    /// is 0.0046, below the 1.01 convention (Vehtari et al. 2021); a slower-mixing statistic earns a larger bound.
    /// </summary>
    public static double SplitRhatExcess(int numChains, int drawsPerChain, double ess)
    {
        int halves = 2 * numChains, n = drawsPerChain / 2;
        double tau = halves * n / ess;
        double quantile = MathNet.Numerics.Distributions.ChiSquared.InvCDF(halves - 1, MathNet.Numerics.Distributions.Normal.CDF(0, 1, MonteCarloZ));
        return (tau * quantile / (halves - 1) - 1) / (2.0 * n);
    }

    /// <summary>
    /// The range of s²/σ² for the sample variance s² of <paramref name="effectiveDraws"/> effectively independent
    /// Gaussian draws: s²/σ² ~ χ²(ν)/ν with ν = n_eff − 1 (Cochran's theorem), between χ²'s quantiles at the two-sided
    /// normal tail of <see cref="MonteCarloZ"/> (3.4·10⁻⁶ each side). χ² rather than the normal approximation
    /// 1 ± z√(2/ν) because a variance's sampling distribution is right-skewed (at ν = 100: [0.53, 1.75] against
    /// [0.36, 1.64]). Autocorrelated draws enter through n_eff = n·ESS/N.
    /// </summary>
    public static (double Low, double High) SampleVarianceRange(double effectiveDraws)
    {
        double nu = Math.Max(effectiveDraws - 1, 1), tail = MathNet.Numerics.Distributions.Normal.CDF(0, 1, -MonteCarloZ);
        return (MathNet.Numerics.Distributions.ChiSquared.InvCDF(nu, tail) / nu, MathNet.Numerics.Distributions.ChiSquared.InvCDF(nu, 1 - tail) / nu);
    }

    /// <summary>
    /// The highest post-warm-up mean acceptance statistic of HMC/NUTS with target δ on a Gaussian target:
    /// 1 − (1 − δ)·e⁻² (0.973 for δ = 0.8). After warm-up the step size is exp(x̄), the average of dual averaging's
    /// last log-step-size iterates xₜ, whose acceptance dual averaging holds at δ on average. For leapfrog on
    /// Gaussian targets the energy error's spread grows as ε² (Beskos, Pillai, Roberts, Sanz-Serna and Stuart 2013,
    /// Bernoulli 19(5)), so 1 − a(ε) ∝ ε^k with k ≈ 2 from a ≈ 1 down to a = 0.8 (1 − a = 1 − 2Φ(−cε²) has
    /// d log(1 − a)/d log ε = 1.95 at a = 0.8). For iterates spread log-normally with sd s,
    /// (1 − a(x̄))/(1 − δ) = e^(kx̄)/mean(e^(kxₜ)) = e^(−k²s²/2) ≥ e⁻² for s ≤ 1: with Stan's 50-iteration terminal
    /// buffer one rejection at t = 50 moves x by √50·δ/(γ·60) ≈ 1.9, and the iterates' sd is 0.6–1.0 on the test
    /// targets (NutsKernelTests prints it). The same argument gives the floor: a is concave in log ε (1 − c·e^(kx)),
    /// so a(x̄) ≥ mean a(xₜ) = δ by Jensen, less the Monte-Carlo error of the kept draws' mean.
    /// </summary>
    public static double PostWarmupAcceptanceCeiling(double targetAccept) => 1 - (1 - targetAccept) * Math.Exp(-2);

    // ------------------------------------------------------------------ Adam

    /// <summary>PyTorch Adam's ε (the default every trainer here uses).</summary>
    public const double AdamEps = 1e-8;

    /// <summary>
    /// Float32 roundings in one Adam update of one entry, relative to the step: m = (1 − β1)g (1), v = (1 − β2)g·g
    /// (2, halved by the square root, plus the root's own: 2), division by √(1 − β2ᵗ) (1), + ε (1), m / denominator (1),
    /// × (−lr / (1 − β1ᵗ)) (1): 8·u32·lr. The final w + step rounds relative to |w| + lr (counted separately).
    /// </summary>
    public const double AdamStepRoundings = 8;

    /// <summary>
    /// Per entry, the largest difference between Adam's first step taken from a gradient within
    /// <paramref name="gradientError"/> of <paramref name="gradient"/> and the step from <paramref name="gradient"/>
    /// itself, plus the float32 rounding of the update of a weight <paramref name="weight"/>. Adam's bias-corrected
    /// first step is s(g) = lr·g/(|g| + ε), of slope lr·ε/(|g| + ε)², largest where |g| is smallest; over
    /// [g − δ, g + δ] it moves by at most lr·δ·ε/(max(|g| − δ, 0) + ε)², and never by more than 2·lr (from −lr to +lr).
    /// A well-conditioned entry (|g| ≫ δ and ε) is held to a tiny bound; an entry whose gradient is near ε, or within
    /// its own error of 0, only to 2·lr, whatever its sign. Rounding: u32·(|w| + lr) for w + s, and
    /// <see cref="AdamStepRoundings"/>·u32·lr for the step.
    /// </summary>
    public static Tensor AdamFirstStep(Tensor gradient, Tensor gradientError, Tensor weight, double lr)
    {
        using var scope = NewDisposeScope();
        var g = (gradient.abs() - gradientError).clamp_min(0) + AdamEps;
        var moved = (lr * gradientError * AdamEps / g.pow(2)).clamp_max(2 * lr);
        return (moved + U32 * (weight.abs() + lr) + AdamStepRoundings * U32 * lr).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Adam's largest per-coordinate step, lr·(1 − β1)/√(1 − β2) (Kingma and Ba 2015, §2.1: |m̂/√v̂| reaches
    /// (1 − β1)/√(1 − β2) in the worst case; 3.16·lr for PyTorch's defaults). An Adam iterate that has reached a smooth
    /// optimum oscillates around it by at most this; MAP estimates by Adam are held to it.
    /// </summary>
    public static double AdamMaxStep(double lr, double beta1 = 0.9, double beta2 = 0.999) => lr * (1 - beta1) / Math.Sqrt(1 - beta2);

    /// <summary>The part of <see cref="AdamFirstStep"/> above which an entry counts as ill-conditioned in reports: 1 % of lr.</summary>
    public const double IllConditionedStepFraction = 1e-2;

    // ------------------------------------------------------------------ accuracy targets (specifications)

    /// <summary>
    /// A trained-accuracy bound: over <paramref name="Seeds"/> training seeds (0, 1, …), the median of the per-seed
    /// posterior mean error (in posterior stds) is at most <paramref name="MeanError"/> and the median of the per-seed
    /// |std/true std − 1| at most <paramref name="StdError"/> (largest over the dimensions for each seed).
    /// </summary>
    public sealed record TrainedAccuracy(int Seeds, double MeanError, double StdError);

    /// <summary>
    /// Trained accuracy on the Gaussian linear task (D = 2, 3,000 simulations, DensityChecks.TrainGaussianLinear). One
    /// training's posterior depends on its trajectory (a change of rounding changes it), so the bounds are on the
    /// median over training seeds, and each bound is the largest per-seed value measured over 30 other seeds (100–129;
    /// <c>dotnet test tests/Sbi.Net.Tests -c Release --filter FullyQualifiedName~AccuracySeedSpread</c>, the same under
    /// ATEN_CPU_CAPABILITY=default and avx512), pooled with sbi 0.27's own maxima on the same task and seeds where
    /// comparable. A new seed exceeds the largest of 30 exchangeable seeds with probability 1/31, so the median of 5
    /// seeds exceeds it with probability P(≥ 3 of 5) = 3.2·10⁻⁴.
    /// MAF has a failure mode on this task: in 3 of 30 seeds the first dimension ignores x and its posterior is the
    /// prior (validation loss +0.5 instead of −1.8); sbi 0.27's MAF does the same in 3 of 30 seeds (python run of the
    /// same task, seeds 100–129: 118, 121, 122). Its bounds are the largest over the 27 other seeds, a new seed exceeds
    /// them with probability 0.1 + 1/28, and the median of 15 seeds exceeds them with P(≥ 8 of 15) = 3.0·10⁻⁴.
    /// Measured (Sbi.Net / sbi largest per-seed |mean error| in stds, |std ratio − 1|): maf 0.363 / 0.217 (sbi: same
    /// failure rate); nsf 0.325 / 0.158 (sbi 0.281 / 0.203, robust std); mdn 0.615 / 0.451 (sbi 0.372 / 0.339: both
    /// MDNs overestimate the std by ~18 % on average here); made with the dummy at 0, 0.353 / 0.369 (sbi's made sampler
    /// draws the dummy and is not comparable).
    /// </summary>
    public static TrainedAccuracy GaussianLinearAccuracy(string model) => model switch
    {
        "maf" => new(15, 0.363, 0.217),
        "nsf" => new(5, 0.325, 0.203),
        "mdn" => new(5, 0.615, 0.451),
        "made" => new(5, 0.353, 0.369),
        _ => throw new ArgumentException($"no measured accuracy for '{model}'", nameof(model)),
    };

    /// <summary>
    /// Two NPE-B rounds with MAF on a box prior (NpeBAccuracyTests.TrainTwoRounds): the largest per-seed values over
    /// the 29 of 30 measured seeds outside MAF's failure mode (see <see cref="GaussianLinearAccuracy"/>), 0.329 posterior
    /// stds and 0.398; the median of 15 seeds exceeds them with P(≥ 8 of 15) = 2.7·10⁻⁴.
    /// </summary>
    public static readonly TrainedAccuracy TwoRoundAccuracy = new(15, 0.329, 0.398);

    /// <summary>
    /// C2ST accuracy at or below which two posterior samples count as the same distribution: 0.55, the target the
    /// project's issues set (0.5 is indistinguishable; with 10,000 samples a side the accuracy's own Monte-Carlo
    /// standard deviation is about √(0.25/20,000) ≈ 0.0035, so 0.55 is a practical-equivalence margin, not noise).
    /// </summary>
    public const double C2st = 0.55;

    /// <summary>
    /// Independent trainings (own initial weights and batch orders on each side) cannot be closer than sbi is to a
    /// second sbi training on the same simulations: on the seed example that replicate C2ST is about 0.62, above
    /// <see cref="C2st"/>. Their bound is max(0.55, C2ST(sbi, sbi replicate) + 0.03): Sbi.Net may differ from sbi by
    /// no more than sbi differs from itself, plus the 0.03 the estimator issue allows against sbi's own C2ST.
    /// </summary>
    public const double C2stOverReplicate = 0.03;

    /// <summary>
    /// The shortfall a trained classifier may have against the Bayes accuracy on problems with a linear Bayes boundary:
    /// 0.02, sbi's own C2ST test (tests/metrics_test.py at 900821dc: samples 20 σ apart, Bayes accuracy 1, must score
    /// above 0.98).
    /// </summary>
    public const double C2stLearningGap = 0.02;

    // ------------------------------------------------------------------ variational inference (issue 15)

    /// <summary>The VI issue's accuracy target: a fitted q reaches C2ST ≤ 0.56 against the analytic posterior.</summary>
    public const double ViC2st = 0.56;

    /// <summary>
    /// The KL divergence (either direction) at or below which q meets a C2ST target <paramref name="c2st"/> in expectation:
    /// a classifier's expected accuracy between equally many samples of q and p is at most the Bayes accuracy
    /// ½ + ½·TV(q, p), and TV ≤ √(KL/2) (Pinsker's inequality), so accuracy ≤ c whenever KL ≤ 8(c − ½)²; 0.0288 for
    /// <see cref="ViC2st"/>. Checkable exactly for Gaussian q and p, and by a Monte-Carlo upper bound otherwise, without
    /// training a classifier.
    /// </summary>
    public static double KlForC2st(double c2st) => 8 * Math.Pow(c2st - 0.5, 2);

    /// <summary>
    /// The largest |SbibmC2st − scikit-learn| on the recorded sample pairs (SbibmC2stTests): 0.01, the agreement the
    /// sbibm issue asks for. The two draw the same folds, initial weights and batch orders (NumPy's RandomState, checked
    /// bit for bit), so what is left is float32 rounding (other BLAS, other summation order), which moves the trained
    /// classifier a little and flips a few held-out predictions near the boundary. For scale: scikit-learn's own score
    /// moves by 0.003 to 0.017 (sd) between seeds 1..10 on the same pairs (recorded in the fixture), so a port with other
    /// random streams could not promise 0.01.
    /// </summary>
    public const double SbibmC2stAgreement = 0.01;

    /// <summary>
    /// Draws that an observation is ranked among when a test asks whether it is a typical draw of a simulator
    /// (SbibmTaskTests): 10,000. Under a correct simulator the observation and the draws are exchangeable, so the
    /// observation is the most extreme of the 10,001 on either side with probability 2/10,001 = 2·10⁻⁴; over the 40
    /// observations of the four sbibm tasks that is a 0.8 % family-wise false-alarm rate, the suite's 1 %.
    /// </summary>
    public const int ExchangeableDraws = 10_000;
}
