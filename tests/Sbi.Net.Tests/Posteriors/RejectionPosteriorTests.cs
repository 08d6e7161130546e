using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using Normal = MathNet.Numerics.Distributions.Normal;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>
/// sbi's <c>RejectionPosterior</c> and <c>rejection_sample</c> (sbi/inference/posteriors/rejection_posterior.py,
/// sbi/samplers/rejection/rejection.py; sbi's tests/posterior_sampler_test.py) on closed-form targets. A candidate is
/// accepted with probability r(θ)/e^E, r = exp(potential)/proposal and E the log envelope; so when e^E ≥ max r the
/// samples follow the normalised potential exactly and P(accept) = ∫ exp(potential) dθ / e^E, a binomial proportion.
/// </summary>
public class RejectionPosteriorTests
{
    private static RejectionPosterior Build(Sbi.Estimators.ConditionalDensityEstimator estimator, IDistribution prior, ILogger? logger = null,
                                            RejectionPosteriorParameters? parameters = null)
    {
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(estimator, prior, null);
        return new RejectionPosterior(potential, prior, transform, parameters, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// q(θ | x) = N(x, 1) under the box [−1, 4) at x = 0.5: the target is N(0.5, 1) truncated to the box, with mass
    /// Z = Φ(3.5) − Φ(−1.5), mean μ + (φ(α) − φ(β))/Z and variance 1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²
    /// (α = −1.5, β = 3.5). The ratio q/(1/5) peaks at 5/√(2π); the envelope must cover it (else the samples would be
    /// wrong) and cannot exceed it by more than m. 5,000 samples: mean and variance within
    /// <see cref="Tolerances.MonteCarloZ"/> standard errors (σ/√n, and √((m₄ − s⁴)/n) from the samples' own moments).
    /// </summary>
    [Test]
    public void SamplesATruncatedGaussianUnderABoxPrior()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var prior = new BoxUniform(new float[] { -1 }, new float[] { 4 });
        var post = Build(new GaussianEstimator(1, 1, a: 1), prior);
        post.SetDefaultX(tensor(new float[] { 0.5f }));
        const int n = 5000;
        var (samples, acceptance, logEnvelope) = post.SampleWithAcceptance(n);
        Assert.That(samples.shape, Is.EqualTo(new long[] { n, 1 }), "exactly n samples");
        Assert.That(prior.WithinSupport(samples).all().item<bool>());

        double alpha = -1.5, beta = 3.5, z = Normal.CDF(0, 1, beta) - Normal.CDF(0, 1, alpha);
        double shift = (Normal.PDF(0, 1, alpha) - Normal.PDF(0, 1, beta)) / z;
        double mean = 0.5 + shift, variance = 1 + (alpha * Normal.PDF(0, 1, alpha) - beta * Normal.PDF(0, 1, beta)) / z - shift * shift;
        AssertMoments(samples.select(1, 0), mean, variance);

        double maxLogRatio = Math.Log(5) - 0.5 * Math.Log(2 * Math.PI);
        // The envelope covers the ratio's maximum (up to the float32 rounding of the ~8 operations of the two log-densities).
        Assert.That(logEnvelope, Is.GreaterThanOrEqualTo(maxLogRatio - Tolerances.Formula(8, 3)));
        Assert.That(logEnvelope, Is.LessThanOrEqualTo(maxLogRatio + Math.Log(1.2) + Tolerances.Formula(8, 3)));
        double expected = z / Math.Exp(logEnvelope);
        Assert.That(Tolerances.BinomialZ(acceptance, expected, n / acceptance), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ),
                    $"acceptance {acceptance}, expected {expected}");
    }

    /// <summary>
    /// A Gaussian prior N(0, 2²I) as proposal and q(θ | x) = N(x + 0.5, 0.5²I) in D = 2 at x = 1: the potential is
    /// not the proposal's shape, so most candidates are rejected. Per dimension the log ratio
    /// log N(θ; μ, σ²) − log N(θ; 0, s²) peaks at θ* = μs²/(s² − σ²); the acceptance is 1/e^E. Samples follow
    /// N(1.5, 0.25) per dimension (moments within <see cref="Tolerances.MonteCarloZ"/> standard errors), and MAP, from
    /// proposal samples, ends within Adam's largest step of (1.5, 1.5).
    /// </summary>
    [Test]
    public void RejectsWhereThePotentialIsNarrowerThanTheProposal()
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        using var prior = new MultivariateNormal(zeros(2), 4 * eye(2));
        var post = Build(new GaussianEstimator(2, 1, a: 1, b: 0.5, sigma: 0.5), prior);
        post.SetDefaultX(tensor(new float[] { 1 }));
        const int n = 4000;
        var (samples, acceptance, logEnvelope) = post.SampleWithAcceptance(n);
        Assert.That(samples.shape, Is.EqualTo(new long[] { n, 2 }));
        for (int j = 0; j < 2; j++) AssertMoments(samples.select(1, j), 1.5, 0.25);

        double mu = 1.5, sigma = 0.5, s = 2, star = mu * s * s / (s * s - sigma * sigma);
        double perDim = -Math.Pow(star - mu, 2) / (2 * sigma * sigma) - Math.Log(sigma) + star * star / (2 * s * s) + Math.Log(s);
        Assert.That(logEnvelope, Is.GreaterThanOrEqualTo(2 * perDim - Tolerances.Formula(16, 4)), "the envelope covers the ratio");
        Assert.That(logEnvelope, Is.LessThanOrEqualTo(2 * perDim + Math.Log(1.2) + Tolerances.Formula(16, 4)));
        double expected = 1 / Math.Exp(logEnvelope);
        Assert.That(acceptance, Is.LessThan(0.5), "the sampler really rejects");
        Assert.That(Tolerances.BinomialZ(acceptance, expected, n / acceptance), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ),
                    $"acceptance {acceptance}, expected {expected}");

        var map = post.Map(numIter: 300, numInitSamples: 200, numToOptimize: 20).data<float>().ToArray();
        Assert.That(map[0], Is.EqualTo(1.5).Within(Tolerances.AdamMaxStep(0.01)));
        Assert.That(map[1], Is.EqualTo(1.5).Within(Tolerances.AdamMaxStep(0.01)));
    }

    /// <summary>
    /// Without gradient ascent (NumIterToFindMax 0) the envelope is the best of the proposal samples times m, and the
    /// sampler still returns exactly n rows; LogProb is the potential itself, unnormalised (sbi's).
    /// </summary>
    [Test]
    public void LogProbIsTheUnnormalisedPotentialAndTheSearchCanBeSkipped()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        using var prior = new BoxUniform(new float[] { -1, -1 }, new float[] { 4, 4 });
        var post = Build(new GaussianEstimator(2, 1, a: 1), prior, parameters: new RejectionPosteriorParameters(numIterToFindMax: 0, numSamplesToFindMax: 500));
        post.SetDefaultX(tensor(new float[] { 0.5f }));
        Assert.That(post.Sample(777).shape, Is.EqualTo(new long[] { 777, 2 }));
        var theta = tensor(new float[,] { { 0.2f, 0.3f }, { 3.5f, -0.5f } });
        var expected = post.Potential.Evaluate(theta, trackGradients: false);
        Assert.That(post.LogProb(theta).eq(expected).all().item<bool>(), "the same float32 computation");
        // At another x the potential moves there and back: the default-x values are unchanged afterwards.
        var other = post.LogProb(theta, tensor(new float[] { 2f }));
        Assert.That(other.eq(expected).all().item<bool>(), Is.False);
        Assert.That(post.LogProb(theta).eq(expected).all().item<bool>());
        Assert.That(post.SampleBatched(300, tensor(new float[,] { { 0 }, { 1 }, { 2 } })).shape, Is.EqualTo(new long[] { 300, 3, 2 }));
    }

    /// <summary>
    /// q = N(0, 0.01²) under the box [−100, 100): the acceptance is about 0.01·√(2π)/200/1.2 ≈ 10⁻⁴, so the sampler warns
    /// once (below 1 %) and, asked for 10⁶ samples with a 0.5 s limit, stops with a TimeoutException. The clock is
    /// checked before every batch of ≤ 10,000 candidates (milliseconds here); the envelope search (10,000 samples,
    /// 100 Adam steps on 1,000 points) runs before the clock starts: a 2 s margin covers both.
    /// </summary>
    [Test]
    public void LowAcceptanceWarnsAndTheTimeLimitHolds()
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        using var prior = new BoxUniform(new float[] { -100 }, new float[] { 100 });
        var log = new ListLogger();
        var post = Build(new GaussianEstimator(1, 1, sigma: 0.01), prior, log);
        post.SetDefaultX(tensor(new float[] { 0 }));
        var limit = TimeSpan.FromSeconds(0.5);
        var clock = Stopwatch.StartNew();
        Assert.Throws<TimeoutException>(() => post.SampleWithAcceptance(1_000_000, maxSamplingTime: limit));
        Assert.That(clock.Elapsed, Is.LessThan(limit + TimeSpan.FromSeconds(2)));
        Assert.That(log.Warnings.Count(w => w.Contains("accepted")), Is.EqualTo(1), string.Join("\n", log.Warnings));
        var partial = post.SampleWithAcceptance(1_000_000, maxSamplingTime: limit, returnPartialOnTimeout: true);
        Assert.That(partial.Samples.shape[0], Is.InRange(1, 999_999), "a partial result on request");
    }

    /// <summary>Sample mean and variance of <paramref name="v"/> within <see cref="Tolerances.MonteCarloZ"/> standard errors of the truth.</summary>
    internal static void AssertMoments(Tensor v, double mean, double variance)
    {
        var x = v.to(ScalarType.Float64).data<double>().ToArray();
        int n = x.Length;
        double m = x.Average(), s2 = x.Sum(t => (t - m) * (t - m)) / (n - 1), m4 = x.Sum(t => Math.Pow(t - m, 4)) / n;
        Assert.That(Math.Abs(m - mean) / Math.Sqrt(variance / n), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"mean {m}, expected {mean}");
        Assert.That(Math.Abs(s2 - variance) / Math.Sqrt((m4 - s2 * s2) / n), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"variance {s2}, expected {variance}");
    }
}
