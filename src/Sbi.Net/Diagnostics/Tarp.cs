using Microsoft.Extensions.Logging;
using Sbi.Posteriors;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Diagnostics;

/// <summary>A distance between reference points (N, D) and points (…, N, D), over the last dimension: (…, N).</summary>
public delegate Tensor TarpDistance(Tensor references, Tensor points);

/// <summary>
/// Tests of Accuracy with Random Points (Lemos, Coogan et al. 2023, arXiv:2302.03026) as sbi runs them
/// (sbi/diagnostics/tarp.py): <see cref="RunTarp"/> estimates the expected coverage probability of the posterior's
/// credible regions around random reference points, <see cref="CheckTarp(Tensor, Tensor)"/> summarises the curve against the
/// diagonal. The coverage values are counted exactly and binned exactly (see <see cref="Histogram"/>); the ECP, α and
/// the check are float64.
/// </summary>
public static class Tarp
{
    /// <summary>sbi's <c>l2</c> (sbi/utils/metrics.py): √Σ (x − y)² over the last dimension.</summary>
    public static TarpDistance L2 { get; } = (x, y) =>
    {
        using var scope = NewDisposeScope();
        return x.sub(y).Squared().sum(-1).sqrt().MoveToOuterDisposeScope();
    };

    /// <summary>sbi's <c>l1</c>: the mean of |x − y| over the last dimension.</summary>
    public static TarpDistance L1 { get; } = (x, y) =>
    {
        using var scope = NewDisposeScope();
        return x.sub(y).abs().mean([-1L]).MoveToOuterDisposeScope();
    };

    /// <summary>
    /// sbi's <c>run_tarp</c>: draws <paramref name="numPosteriorSamples"/> posterior samples at every x (one batched
    /// call) and returns the expected coverage probability and the credibility grid α (see <see cref="TarpFromSamples"/>).
    /// </summary>
    /// <param name="thetas">Ground-truth parameters (N, D), drawn from the prior.</param>
    /// <param name="xs">Their simulations (N, *x_shape); rows with NaN or inf are dropped with a warning.</param>
    /// <param name="posterior">The posterior to check.</param>
    /// <param name="references">Reference points (N, D); null: drawn uniformly in the box spanned by thetas (<see cref="GetTarpReferences"/>).</param>
    /// <param name="numPosteriorSamples">Draws per observation.</param>
    /// <param name="distance">Distance to the references (null: <see cref="L2"/>).</param>
    /// <param name="numBins">Bins of the coverage histogram (null: N / 10, sbi's default); at most N.</param>
    /// <param name="zScoreTheta">Scale every parameter by the range of thetas first (sbi's default true).</param>
    /// <param name="observationBatchSize">Observations per <c>SampleBatched</c> call; null: 100,000 / L (one proposal batch of the batched rejection sampler).</param>
    /// <param name="logger">Where warnings go (standard error when null).</param>
    public static TarpResult RunTarp(Tensor thetas, Tensor xs, IPosterior posterior, Tensor? references = null, int numPosteriorSamples = 1000,
                                     TarpDistance? distance = null, int? numBins = null, bool zScoreTheta = true, int? observationBatchSize = null,
                                     ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        logger ??= Loggers.Default;
        Guard.Positive(numPosteriorSamples, nameof(numPosteriorSamples));
        using var scope = NewDisposeScope();
        long rowsIn = thetas?.shape[0] ?? 0;
        var (th, x) = DiagnosticInputs.Pair(thetas!, xs, logger);
        int dim = (int)th.shape[1];
        if (dim != posterior.Prior.Dim)
            throw new ArgumentException($"thetas must have the posterior's parameter dimension {posterior.Prior.Dim} columns; got {Guard.Shape(thetas!)}.", nameof(thetas));
        if (references is not null && !references.shape.SequenceEqual(thetas!.shape))
            throw new ArgumentException($"references must have the shape of thetas {Guard.Shape(thetas)}; got {Guard.Shape(references)}.", nameof(references));
        if (references is not null && th.shape[0] != rowsIn)
            throw new ArgumentException("references cannot be paired with thetas once rows with non-finite x were dropped; pass finite xs or no references.", nameof(references));
        CheckBins(numBins, th.shape[0]);
        if (th.shape[0] < 100)
            logger.LogWarning(LogEvents.Diagnostics, $"Number of TARP samples should be on the order of 100s to give reliable results; got {th.shape[0]}.");
        var samples = DiagnosticInputs.PosteriorSamples(posterior, x, numPosteriorSamples, observationBatchSize, dim);
        var refs = references?.to(ScalarType.Float32, CPU) ?? GetTarpReferences(th);
        var result = TarpFromSamples(samples, th, refs, distance, numBins, zScoreTheta);
        return new TarpResult(result.Ecp.MoveToOuterDisposeScope(), result.Alpha.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// sbi's <c>_run_tarp</c>: the coverage value of θᵢ is the fraction of draws closer to reference i than θᵢ is;
    /// their histogram's density (<paramref name="numBins"/> bins between the smallest and largest coverage value),
    /// cumulated and normalised, is the expected coverage probability (ECP), 0 prepended; α is the bin edges.
    /// </summary>
    /// <param name="posteriorSamples">Draws (L, N, D).</param>
    /// <param name="thetas">Ground-truth parameters (N, D).</param>
    /// <param name="references">Reference points (N, D).</param>
    /// <param name="distance">null: <see cref="L2"/>.</param>
    /// <param name="numBins">null: N / 10; between 1 and N.</param>
    /// <param name="zScoreTheta">Scale by the range of thetas first (false here, as sbi's <c>_run_tarp</c>).</param>
    public static TarpResult TarpFromSamples(Tensor posteriorSamples, Tensor thetas, Tensor references, TarpDistance? distance = null,
                                             int? numBins = null, bool zScoreTheta = false)
    {
        ArgumentNullException.ThrowIfNull(posteriorSamples);
        ArgumentNullException.ThrowIfNull(thetas);
        ArgumentNullException.ThrowIfNull(references);
        if (thetas.dim() != 2 || thetas.shape[0] == 0)
            throw new ArgumentException($"thetas must have shape (N, D) with N ≥ 1; got {Guard.Shape(thetas)}.", nameof(thetas));
        long n = thetas.shape[0];
        if (posteriorSamples.dim() != 3 || posteriorSamples.shape[1] != n || posteriorSamples.shape[2] != thetas.shape[1] || posteriorSamples.shape[0] == 0)
            throw new ArgumentException($"posteriorSamples must have shape (L, {n}, {thetas.shape[1]}) with L ≥ 1 to match thetas; got {Guard.Shape(posteriorSamples)}.", nameof(posteriorSamples));
        if (!references.shape.SequenceEqual(thetas.shape))
            throw new ArgumentException($"references must have the shape of thetas {Guard.Shape(thetas)}; got {Guard.Shape(references)}.", nameof(references));
        CheckBins(numBins, n);
        int bins = numBins ?? (int)(n / 10);
        distance ??= L2;
        long numPosteriorSamples = posteriorSamples.shape[0];

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var samples = posteriorSamples.cpu();
        var th = thetas.to(samples.dtype, CPU);
        var refs = references.to(samples.dtype, CPU);
        if (zScoreTheta)
        {
            var lo = th.min(0, keepdim: true).values;
            var hi = th.max(0, keepdim: true).values;
            using Scalar eps = 1e-10;
            var range = hi.sub(lo).Plus(eps);
            samples = samples.sub(lo).div(range);
            th = th.sub(lo).div(range);
            refs = refs.sub(lo).div(range);
        }
        var sampleDists = distance(refs, samples);   // (L, N)
        var thetaDists = distance(refs, th);         // (N)
        // sbi's coverage value of θᵢ is kᵢ/L, kᵢ the number of draws closer to the reference than θᵢ.
        var closer = sampleDists.lt(thetaDists).sum(dim: 0).cpu().data<long>().ToArray();
        var (ecpValues, alphaValues) = Histogram(closer, numPosteriorSamples, bins);
        var ecp = tensor(ecpValues, ScalarType.Float64);
        var alpha = tensor(alphaValues, ScalarType.Float64);
        return new TarpResult(ecp.MoveToOuterDisposeScope(), alpha.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The ECP and α of coverage values kᵢ/L (<paramref name="closer"/> = kᵢ, <paramref name="numPosteriorSamples"/> = L),
    /// as sbi's <c>torch.histogram(coverage, bins, density=True)</c>, cumulated and normalised, defines them: bins of equal
    /// width between the smallest and the largest value (widened by ±½ when they coincide), closed on the left, the
    /// last also on the right; ECPⱼ = the fraction of values in the first j bins, αⱼ = the j-th edge. Computed exactly:
    /// a value's bin is an integer quotient and αⱼ = (k_min·bins + j·(k_max − k_min)) / (bins·L) one rounding. sbi
    /// rounds the coverage values and edges to float32 first, and values on the lattice j/L often fall exactly on an
    /// edge (k_min = 0, k_max = L, bins dividing L), where its count then depends on the last bit of libtorch's float32
    /// <c>linspace</c>, which differs between libtorch versions and between its AVX2 and AVX-512 kernels.
    /// </summary>
    internal static (double[] Ecp, double[] Alpha) Histogram(long[] closer, long numPosteriorSamples, int bins)
    {
        long n = closer.Length, kMin = closer.Min(), kMax = closer.Max();
        // In units of 1/(2L): values 2k, edges 2k_min + j·2(k_max − k_min)/bins, or the widened (2k_min − L) + j·2L/bins.
        long lo2 = 2 * kMin, span2 = 2 * (kMax - kMin);
        if (kMin == kMax)
        {
            lo2 -= numPosteriorSamples;
            span2 = 2 * numPosteriorSamples;
        }
        var counts = new long[bins];
        foreach (long k in closer)
        {
            long bin = (2 * k - lo2) * bins / span2;   // floor: 0 ≤ 2k − lo2 ≤ span2
            counts[Math.Min(bin, bins - 1)]++;
        }
        var ecp = new double[bins + 1];
        var alpha = new double[bins + 1];
        long cumulative = 0;
        for (int j = 0; j <= bins; j++)
        {
            if (j > 0) cumulative += counts[j - 1];
            ecp[j] = (double)cumulative / n;
            alpha[j] = (double)(lo2 * bins + j * span2) / (2.0 * bins * numPosteriorSamples);
        }
        return (ecp, alpha);
    }

    /// <summary>sbi's <c>get_tarp_references</c>: one point per row of thetas, uniform in the box [min θ, max θ] per dimension (global torch generator).</summary>
    public static Tensor GetTarpReferences(Tensor thetas)
    {
        ArgumentNullException.ThrowIfNull(thetas);
        if (thetas.dim() != 2 || thetas.shape[0] == 0)
            throw new ArgumentException($"thetas must have shape (N, D) with N ≥ 1; got {Guard.Shape(thetas)}.", nameof(thetas));
        using var scope = NewDisposeScope();
        var lo = thetas.min(0).values;
        var hi = thetas.max(0).values;
        var u = rand(thetas.shape, dtype: thetas.dtype, device: thetas.device);
        return lo.Plus(u.mul(hi.sub(lo))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// sbi's <c>check_tarp</c>: the area to curve ATC = Σ_{i ≥ len/2} (ECPᵢ − αᵢ)·Δα (near 0 when calibrated; above 0 an
    /// over-dispersed, i.e. under-confident, posterior; below 0 an over-confident one) and the two-sample KS p-value
    /// between the ECP and α values (scipy's <c>kstest(ecp, alpha)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">ecp and alpha are not 1-D of one length ≥ 2.</exception>
    public static (double Atc, double KsPvalue) CheckTarp(Tensor ecp, Tensor alpha)
    {
        ArgumentNullException.ThrowIfNull(ecp);
        ArgumentNullException.ThrowIfNull(alpha);
        if (alpha.dim() != 1 || alpha.shape[0] < 2)
            throw new ArgumentException($"alpha must be a 1-D grid of at least 2 values; got {Guard.Shape(alpha)}.", nameof(alpha));
        if (!ecp.shape.SequenceEqual(alpha.shape))
            throw new ArgumentException($"ecp must have the shape of alpha {Guard.Shape(alpha)}; got {Guard.Shape(ecp)}.", nameof(ecp));
        using var scope = NewDisposeScope();
        var e = ecp.to(ScalarType.Float64, CPU).data<double>().ToArray();
        var a = alpha.to(ScalarType.Float64, CPU).data<double>().ToArray();
        return CheckTarp(e, a);
    }

    /// <summary><see cref="CheckTarp(Tensor, Tensor)"/> on arrays.</summary>
    public static (double Atc, double KsPvalue) CheckTarp(double[] ecp, double[] alpha)
    {
        ArgumentNullException.ThrowIfNull(ecp);
        ArgumentNullException.ThrowIfNull(alpha);
        if (alpha.Length < 2) throw new ArgumentException($"alpha must hold at least 2 values; got {alpha.Length}.", nameof(alpha));
        if (ecp.Length != alpha.Length) throw new ArgumentException($"ecp must have as many values as alpha ({alpha.Length}); got {ecp.Length}.", nameof(ecp));
        int mid = alpha.Length / 2;
        double dAlpha = alpha[1] - alpha[0], atc = 0;
        for (int i = mid; i < alpha.Length; i++) atc += (ecp[i] - alpha[i]) * dAlpha;
        return (atc, KolmogorovSmirnov.TwoSample(ecp, alpha).PValue);
    }

    private static void CheckBins(int? numBins, long numTarpSamples)
    {
        if (numBins is { } b)
        {
            if (b < 1 || b > numTarpSamples)
                throw new ArgumentOutOfRangeException(nameof(numBins), b,
                    $"numBins must lie in 1..{numTarpSamples} (the number of TARP samples); got {b}: too few samples for the requested bins.");
        }
        else if (numTarpSamples < 10)
            throw new ArgumentOutOfRangeException(nameof(numBins), null,
                $"the default numBins = N / 10 needs at least 10 TARP samples; got N = {numTarpSamples}. Pass more samples or numBins.");
    }
}
