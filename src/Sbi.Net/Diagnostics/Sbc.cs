using Microsoft.Extensions.Logging;
using Sbi.Metrics;
using Sbi.Posteriors;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Diagnostics;

/// <summary>Reduces posterior draws θ (L, D) at one observation x (1, *x_shape) to one number per draw, (L): what SBC ranks.</summary>
public delegate Tensor ReduceFn(Tensor theta, Tensor x);

/// <summary>
/// Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) and sample-based expected coverage (Deistler et
/// al. 2022, arXiv:2210.04815) as sbi runs them (sbi/diagnostics/sbc.py): <see cref="RunSbc"/> ranks each ground-truth
/// θ among posterior draws at its x, <see cref="CheckSbc"/> tests the ranks for uniformity and the data-averaged
/// posterior against the prior. The C2ST scores use Sbi.Net's <see cref="C2st"/> (sbibm's MLP classifier); sbi's
/// <c>c2st</c> defaults to a random forest, so the C2ST values follow the same definition of accuracy but not sbi's
/// classifier (the KS p-values and the ranks are sbi's exactly).
/// </summary>
public static class Sbc
{
    /// <summary>
    /// sbi's <c>run_sbc</c>: draws <paramref name="numPosteriorSamples"/> posterior samples at every x of
    /// <paramref name="xs"/> in one batched call (<see cref="IPosterior.SampleBatched"/>) and ranks the matching row of
    /// <paramref name="thetas"/> among them, per reduce function (<c>null</c>: the D marginals, sbi's "marginals").
    /// Rows whose x is not finite are dropped with a warning, as in sbi.
    /// </summary>
    /// <param name="thetas">Ground-truth parameters (N, D), drawn from the prior.</param>
    /// <param name="xs">Their simulations (N, *x_shape).</param>
    /// <param name="posterior">The posterior to check.</param>
    /// <param name="numPosteriorSamples">Draws per observation L; ranks lie in 0..L.</param>
    /// <param name="reduceFns">Functions θ (L, D), x (1, *x_shape) ↦ (L); null: the marginals. <see cref="LogProb"/> gives expected coverage.</param>
    /// <param name="observationBatchSize">Observations per <c>SampleBatched</c> call; null: 100,000 / L (one proposal batch of the batched rejection sampler).</param>
    /// <param name="logger">Where warnings go (<see cref="Loggers.Default"/>, standard error, when null; <see cref="Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance"/> silences them).</param>
    /// <returns>Ranks (N, number of reduce functions) as float32, and the data-averaged posterior samples (N, D): the first draw at each x.</returns>
    /// <exception cref="ArgumentException">thetas and xs differ in rows, thetas' D is not the posterior's, or a count is not positive.</exception>
    public static SbcResult RunSbc(Tensor thetas, Tensor xs, IPosterior posterior, int numPosteriorSamples = 1000,
                                   IReadOnlyList<ReduceFn>? reduceFns = null, int? observationBatchSize = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        logger ??= Loggers.Default;
        Guard.Positive(numPosteriorSamples, nameof(numPosteriorSamples));
        if (observationBatchSize is { } b) Guard.Positive(b, nameof(observationBatchSize));
        using var scope = NewDisposeScope();
        var (th, x) = DiagnosticInputs.Pair(thetas, xs, logger);
        int dim = (int)th.shape[1];
        if (dim != posterior.Prior.Dim)
            throw new ArgumentException($"thetas must have the posterior's parameter dimension {posterior.Prior.Dim} columns; got {Guard.Shape(thetas)}.", nameof(thetas));
        WarnFewSamples(th.shape[0], numPosteriorSamples, logger, "SBC");
        var samples = DiagnosticInputs.PosteriorSamples(posterior, x, numPosteriorSamples, observationBatchSize, dim);
        var dap = samples[0].clone();
        var ranks = RanksFromSamples(th, x, samples, reduceFns);
        return new SbcResult(ranks.MoveToOuterDisposeScope(), dap.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// sbi's <c>_run_sbc</c>: the rank of each θᵢ among the draws <paramref name="posteriorSamples"/>[:, i, :], i.e. the
    /// number of draws whose reduced value is strictly below θᵢ's, per reduce function (null: the marginals).
    /// </summary>
    /// <param name="thetas">Ground-truth parameters (N, D).</param>
    /// <param name="xs">Their observations (N, *x_shape); passed to the reduce functions one row at a time.</param>
    /// <param name="posteriorSamples">Draws (L, N, D).</param>
    /// <param name="reduceFns">As in <see cref="RunSbc"/>.</param>
    /// <returns>Ranks (N, number of reduce functions), float32 (as sbi's).</returns>
    public static Tensor RanksFromSamples(Tensor thetas, Tensor xs, Tensor posteriorSamples, IReadOnlyList<ReduceFn>? reduceFns = null)
    {
        ArgumentNullException.ThrowIfNull(thetas);
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(posteriorSamples);
        if (thetas.dim() != 2)
            throw new ArgumentException($"thetas must have shape (N, D); got {Guard.Shape(thetas)}.", nameof(thetas));
        long n = thetas.shape[0], d = thetas.shape[1];
        if (posteriorSamples.dim() != 3 || posteriorSamples.shape[1] != n || posteriorSamples.shape[2] != d)
            throw new ArgumentException($"posteriorSamples must have shape (L, {n}, {d}) to match thetas {Guard.Shape(thetas)}; got {Guard.Shape(posteriorSamples)}.", nameof(posteriorSamples));
        if (xs.dim() < 1 || xs.shape[0] != n)
            throw new ArgumentException($"xs must have one row per row of thetas ({n}); got {Guard.Shape(xs)}.", nameof(xs));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (reduceFns is null)
        {
            // Marginals: for every i and d, #{l : sample[l, i, d] < θ[i, d]}, all at once.
            var ranks = posteriorSamples.lt(thetas.to(posteriorSamples.dtype, posteriorSamples.device).unsqueeze(0)).sum(dim: 0);
            return ranks.to(ScalarType.Float32, CPU).MoveToOuterDisposeScope();
        }
        if (reduceFns.Count == 0) throw new ArgumentException("reduceFns must hold at least one function (or be null for the marginals).", nameof(reduceFns));
        var values = new float[n * reduceFns.Count];
        for (long i = 0; i < n; i++)
        {
            using var row = NewDisposeScope();
            var draws = posteriorSamples.select(1, i);
            var truth = thetas.narrow(0, i, 1);
            var xi = xs.narrow(0, i, 1);
            for (int j = 0; j < reduceFns.Count; j++)
            {
                var reducedDraws = reduceFns[j](draws, xi).reshape(-1);
                var reducedTruth = reduceFns[j](truth, xi).reshape(-1);
                if (reducedDraws.shape[0] != draws.shape[0] || reducedTruth.shape[0] != 1)
                    throw new ArgumentException($"reduceFns[{j}] must map θ (L, D) to (L) values; it returned {Guard.Shape(reducedDraws)} for L = {draws.shape[0]} " +
                                                $"and {Guard.Shape(reducedTruth)} for one row.", nameof(reduceFns));
                values[i * reduceFns.Count + j] = reducedDraws.lt(reducedTruth.to(reducedDraws.device)).sum().item<long>();
            }
        }
        return tensor(values, [n, reduceFns.Count]).MoveToOuterDisposeScope();
    }

    /// <summary>The reduce function θ ↦ log p(θ | x) of <paramref name="posterior"/>: with it SBC becomes sbi's sample-based expected coverage.</summary>
    public static ReduceFn LogProb(IPosterior posterior)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        return (theta, x) => posterior.LogProb(theta, x);
    }

    /// <summary>
    /// sbi's <c>check_sbc</c>: the KS p-value of each column of <paramref name="ranks"/> against Uniform(0, L)
    /// (<see cref="CheckUniformityFrequentist"/>), the C2ST of each column against uniform draws
    /// (<see cref="CheckUniformityC2st"/>), and the C2ST of each dimension of the data-averaged posterior against the
    /// prior (<see cref="CheckPriorVsDap"/>). Calibrated: p-values not small, both C2STs near 0.5.
    /// </summary>
    /// <param name="ranks">Ranks (N, K) from <see cref="RunSbc"/>.</param>
    /// <param name="priorSamples">N prior draws (N, D).</param>
    /// <param name="dapSamples">The data-averaged posterior samples (N, D) from <see cref="RunSbc"/>.</param>
    /// <param name="numPosteriorSamples">The L the ranks were computed with.</param>
    /// <param name="numC2stRepetitions">C2ST repetitions for the ranks (their mean is returned; a spread above 0.05 is warned about).</param>
    /// <param name="logger">Where warnings go (standard error when null).</param>
    public static SbcChecks CheckSbc(Tensor ranks, Tensor priorSamples, Tensor dapSamples, int numPosteriorSamples = 1000,
                                     int numC2stRepetitions = 1, ILogger? logger = null)
    {
        logger ??= Loggers.Default;
        CheckRanks(ranks, numPosteriorSamples);
        if (ranks.shape[0] < 100)
            logger.LogWarning(LogEvents.Diagnostics, "You are computing SBC checks with less than 100 samples. These checks should be based on a large number of test samples " +
                        "theta_o, x_o. We recommend using at least 100.");
        var ks = CheckUniformityFrequentist(ranks, numPosteriorSamples);
        var c2stRanks = CheckUniformityC2st(ranks, numPosteriorSamples, numC2stRepetitions, logger);
        var c2stDap = CheckPriorVsDap(priorSamples, dapSamples);
        return new SbcChecks(ks, c2stRanks, c2stDap);
    }

    /// <summary>
    /// sbi's <c>check_uniformity_frequentist</c>: per column, the two-sided exact KS p-value of the ranks against the
    /// Uniform(0, L) CDF (scipy's <c>kstest(rks, uniform(loc=0, scale=L).cdf)</c>). sbi's ranks are float32, and scipy's
    /// <c>uniform.cdf</c> then computes (r − 0)/L in float32 before widening: the CDF values here are that float32
    /// quotient too, so that the statistic, and the p-value (which moves by its density times the statistic's change,
    /// ~10⁻⁷ for a float32 rounding), are sbi's.
    /// </summary>
    public static double[] CheckUniformityFrequentist(Tensor ranks, int numPosteriorSamples)
    {
        CheckRanks(ranks, numPosteriorSamples);
        float l = numPosteriorSamples;
        return Columns(ranks).Select(c => KolmogorovSmirnov.OneSample(c, r => Math.Clamp((double)((float)r / l), 0, 1)).PValue).ToArray();
    }

    /// <summary>
    /// sbi's <c>check_uniformity_c2st</c>: per column, the C2ST accuracy of the ranks against as many draws of
    /// Uniform(0, L) (global torch generator), averaged over <paramref name="numRepetitions"/>; warns when the spread over
    /// repetitions (population std for one, sample std otherwise, as sbi) exceeds 0.05.
    /// </summary>
    public static double[] CheckUniformityC2st(Tensor ranks, int numPosteriorSamples, int numRepetitions = 1, ILogger? logger = null)
    {
        logger ??= Loggers.Default;
        CheckRanks(ranks, numPosteriorSamples);
        Guard.Positive(numRepetitions, nameof(numRepetitions));
        long n = ranks.shape[0];
        int k = (int)ranks.shape[1];
        var scores = new double[numRepetitions, k];
        using var scope = NewDisposeScope();
        var r = ranks.to(ScalarType.Float32, CPU);
        using Scalar high = (double)numPosteriorSamples;
        for (int rep = 0; rep < numRepetitions; rep++)
            for (int j = 0; j < k; j++)
            {
                using var inner = NewDisposeScope();
                var uniform = rand(n, 1).mul(high);
                scores[rep, j] = C2st.Score(r.narrow(1, j, 1), uniform);
            }
        var mean = new double[k];
        var spread = new double[k];
        for (int j = 0; j < k; j++)
        {
            double m = 0;
            for (int rep = 0; rep < numRepetitions; rep++) m += scores[rep, j];
            m /= numRepetitions;
            double ss = 0;
            for (int rep = 0; rep < numRepetitions; rep++) ss += (scores[rep, j] - m) * (scores[rep, j] - m);
            mean[j] = m;
            spread[j] = Math.Sqrt(ss / (numRepetitions == 1 ? 1 : numRepetitions - 1));
        }
        if (spread.Any(s => s > 0.05))
            logger.LogWarning(LogEvents.Diagnostics, $"C2ST score variability is larger than 0.05: std=[{string.Join(", ", spread.Select(s => s.ToString("G4")))}], result may be unreliable. " +
                        "Consider increasing the number of samples.");
        return mean;
    }

    /// <summary>sbi's <c>check_prior_vs_dap</c>: per dimension, the C2ST accuracy between prior draws and data-averaged posterior draws (0.5 when calibrated).</summary>
    /// <exception cref="ArgumentException">the two sample sets differ in shape.</exception>
    public static double[] CheckPriorVsDap(Tensor priorSamples, Tensor dapSamples)
    {
        ArgumentNullException.ThrowIfNull(priorSamples);
        ArgumentNullException.ThrowIfNull(dapSamples);
        if (!priorSamples.shape.SequenceEqual(dapSamples.shape))
            throw new ArgumentException($"dapSamples must have the shape of priorSamples {Guard.Shape(priorSamples)} (prior and DAP samples must have the same shape); got {Guard.Shape(dapSamples)}.",
                                        nameof(dapSamples));
        if (priorSamples.dim() != 2)
            throw new ArgumentException($"priorSamples must have shape (N, D); got {Guard.Shape(priorSamples)}.", nameof(priorSamples));
        using var scope = NewDisposeScope();
        var p = priorSamples.to(ScalarType.Float32, CPU);
        var q = dapSamples.to(ScalarType.Float32, CPU);
        return Enumerable.Range(0, (int)p.shape[1]).Select(j => C2st.Score(p.narrow(1, j, 1), q.narrow(1, j, 1))).ToArray();
    }

    internal static void WarnFewSamples(long numObservations, int numPosteriorSamples, ILogger logger, string what)
    {
        if (numObservations < 100)
            logger.LogWarning(LogEvents.Diagnostics, $"Number of {what} samples should be on the order of 100s to give reliable results; got {numObservations}.");
        if (numPosteriorSamples < 100)
            logger.LogWarning(LogEvents.Diagnostics, $"Number of posterior samples for ranking should be on the order of 100s to give reliable {what} results; got {numPosteriorSamples}.");
    }

    private static void CheckRanks(Tensor ranks, int numPosteriorSamples)
    {
        ArgumentNullException.ThrowIfNull(ranks);
        Guard.Positive(numPosteriorSamples, nameof(numPosteriorSamples));
        if (ranks.dim() != 2 || ranks.shape[0] == 0 || ranks.shape[1] == 0)
            throw new ArgumentException($"ranks must have shape (N, K) with N, K ≥ 1; got {Guard.Shape(ranks)}.", nameof(ranks));
        using var scope = NewDisposeScope();
        var r = ranks.to(ScalarType.Float64);
        double lo = r.min().item<double>(), hi = r.max().item<double>();
        if (double.IsNaN(lo) || lo < 0 || hi > numPosteriorSamples)
            throw new ArgumentException($"ranks must lie in 0..numPosteriorSamples = {numPosteriorSamples}; they span {lo}..{hi} " +
                                        "(were they computed with another numPosteriorSamples?).", nameof(ranks));
    }

    private static IEnumerable<double[]> Columns(Tensor t)
    {
        using var scope = NewDisposeScope();
        var c = t.to(ScalarType.Float64, CPU).t().contiguous();
        var data = c.data<double>().ToArray();
        long rows = t.shape[0];
        return Enumerable.Range(0, (int)t.shape[1]).Select(j => data.AsSpan((int)(j * rows), (int)rows).ToArray()).ToList();
    }
}
