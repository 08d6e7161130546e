using Microsoft.Extensions.Logging.Abstractions;
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
/// sbi's <c>ImportanceSamplingPosterior</c>, <c>importance_sample</c> and <c>sampling_importance_resampling</c>
/// (sbi/inference/posteriors/importance_posterior.py, sbi/samplers/importance/*.py) on closed-form targets.
/// </summary>
public class ImportanceSamplingPosteriorTests
{
    /// <summary>
    /// SIR on q(θ | x) = N(x, 1) under the box [−1, 4) at x = 0.5 (the truncated normal of
    /// <see cref="RejectionPosteriorTests"/>) with K = 1,000 candidates per sample. A SIR draw picks candidate i with
    /// probability wᵢ/Σw, so E[φ(draw)] is the expectation of the self-normalised estimate π̂_K φ. Writing
    /// ψ = φ − πφ (|ψ| ≤ R, the range of φ on the box), A = (1/K)Σwᵢψᵢ and B = (1/K)Σwᵢ with weights normalised to
    /// E w = 1: A/B = A − A(B − 1) + (A/B)(B − 1)², so |E[A/B]| ≤ |Cov(A, B)| + R·Var(B) ≤ R·ρ/K + R(ρ − 1)/K with
    /// ρ = E w² = W∫_box q² / Z² (W = 5 the box width, ∫ N(θ; μ, 1)² = (Φ(√2(b − μ)) − Φ(√2(a − μ)))/(2√π)). Each
    /// moment is held to <see cref="Tolerances.MonteCarloZ"/> standard errors (from the samples) plus R(2ρ − 1)/K.
    /// </summary>
    [Test]
    public void SirSamplesATruncatedGaussianWithinMonteCarloErrorAndResamplingBias()
    {
        using var scope = NewDisposeScope();
        manual_seed(31);
        using var prior = new BoxUniform(new float[] { -1 }, new float[] { 4 });
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(new GaussianEstimator(1, 1, a: 1), prior, tensor(new float[] { 0.5f }));
        const int k = 1000, n = 2000;
        var post = new ImportanceSamplingPosterior(potential, prior, transform, new ImportanceSamplingPosteriorParameters(oversamplingFactor: k, maxSamplingBatchSize: 700), NullLogger.Instance);
        var samples = post.Sample(n);
        Assert.That(samples.shape, Is.EqualTo(new long[] { n, 1 }), "exactly n samples over several batches");
        Assert.That(prior.WithinSupport(samples).all().item<bool>());

        double mu = 0.5, lo = -1, hi = 4, width = hi - lo;
        double a = lo - mu, b = hi - mu, z = Normal.CDF(0, 1, b) - Normal.CDF(0, 1, a);
        double rho = width * (Normal.CDF(0, 1, Math.Sqrt(2) * b) - Normal.CDF(0, 1, Math.Sqrt(2) * a)) / (2 * Math.Sqrt(Math.PI)) / (z * z);
        double shift = (Normal.PDF(0, 1, a) - Normal.PDF(0, 1, b)) / z;
        double mean = mu + shift, variance = 1 + (a * Normal.PDF(0, 1, a) - b * Normal.PDF(0, 1, b)) / z - shift * shift;
        double centre = (lo + hi) / 2, secondMoment = variance + Math.Pow(mean - centre, 2);
        var x = samples.select(1, 0).to(ScalarType.Float64).data<double>().ToArray();
        AssertWithin(x, mean, width * (2 * rho - 1) / k, "mean");
        AssertWithin(x.Select(t => (t - centre) * (t - centre)).ToArray(), secondMoment, Math.Pow(width / 2, 2) * (2 * rho - 1) / k, "E(θ − centre)²");
    }

    /// <summary>
    /// potential = log N(θ; μ, σ²I) + c in D = 2 and the proposal N(0, s²I): Z = e^c exactly, and the weights
    /// w = e^c·r with r = N(θ; μ, σ²)/N(θ; 0, s²) have E r² = Πᵢ s√(2π)/(2πσ²)·√(π/α)·exp(μᵢ²/(σ⁴α) − μᵢ²/σ²),
    /// α = 1/σ² − 1/(2s²) (a Gaussian integral), so Ẑ/Z from n samples has standard error √((E r² − 1)/n). The estimate is
    /// cached at the default x, and LogProb is the potential minus its log.
    /// </summary>
    [Test]
    public void TheNormalisationConstantOfAKnownCaseIsWithinItsMonteCarloError()
    {
        using var scope = NewDisposeScope();
        manual_seed(32);
        double[] mu = { 0.5, -0.3 };
        double sigma = 0.6, s = 1.5, c = 1.7;
        using var proposal = new MultivariateNormal(zeros(2), (s * s) * eye(2));
        var post = new ImportanceSamplingPosterior(new ShiftedGaussianPotential(mu, sigma, c), proposal, logger: NullLogger.Instance);
        post.SetDefaultX(zeros(1));
        const int n = 20_000;
        double logZ = post.EstimateLogNormalizationConstant(numSamples: n);
        double alpha = 1 / (sigma * sigma) - 1 / (2 * s * s);
        double er2 = mu.Aggregate(1.0, (acc, m) => acc * s * Math.Sqrt(2 * Math.PI) / (2 * Math.PI * sigma * sigma) * Math.Sqrt(Math.PI / alpha)
                                                          * Math.Exp(m * m / (Math.Pow(sigma, 4) * alpha) - m * m / (sigma * sigma)));
        double se = Math.Sqrt((er2 - 1) / n);
        Assert.That(Math.Abs(Math.Exp(logZ - c) - 1) / se, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"log Z {logZ}, c {c}");
        Assert.That(post.EstimateNormalizationConstant(numSamples: n), Is.EqualTo(Math.Exp(logZ)), "cached at the default x");

        var theta = tensor(new float[,] { { 0.4f, -0.2f }, { 1f, 1f } });
        var lp = post.LogProb(theta).to(ScalarType.Float64).data<double>().ToArray();
        var pot = post.Potential.Evaluate(theta, false).to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < 2; i++)   // one float32 subtraction of log Z from the float32 potential
            Assert.That(lp[i], Is.EqualTo(pot[i] - logZ).Within(Tolerances.Formula(2, Math.Abs(pot[i]) + Math.Abs(logZ))));
        post.SetDefaultX(zeros(1));
        Assert.That(post.EstimateLogNormalizationConstant(numSamples: n), Is.Not.EqualTo(logZ), "a new default x clears the cache");
    }

    /// <summary>
    /// Importance samples carry log w = potential − log proposal. With a target N(0, 10²) and proposal N(0, 1) the
    /// weights' tail is Pareto with k = 1 − 1/σ² = 0.99 (w ∝ exp(θ²(1 − 1/σ²)/2), whose survival function falls as
    /// w^(−1/k) up to a slowly varying factor); over 100,000 samples k̂'s spread (1 + k)/√M, M = 949, is 0.065, so
    /// 0.7 lies 4.5 spreads below and the warning fires. A target N(0, 0.8²) narrower than the proposal has bounded
    /// weights (k &lt; 0): no warning.
    /// </summary>
    [Test]
    public void WeightsComeWithTheSamplesAndHeavyTailsWarn()
    {
        using var scope = NewDisposeScope();
        manual_seed(33);
        using var proposal = MultivariateNormal.Standard(1);
        var log = new ListLogger();
        var wide = new ImportanceSamplingPosterior(new ShiftedGaussianPotential([0], 10, 0), proposal,
                                                   parameters: new ImportanceSamplingPosteriorParameters(method: "importance"), logger: log);
        wide.SetDefaultX(zeros(1));
        var weighted = wide.ImportanceSample(100_000);
        Assert.That(weighted.Samples.shape, Is.EqualTo(new long[] { 100_000, 1 }));
        var expected = wide.Potential.Evaluate(weighted.Samples, false) - proposal.LogProb(weighted.Samples);
        Assert.That(weighted.LogWeights.eq(expected).all().item<bool>(), "log w = potential − log proposal");
        Assert.That(weighted.ParetoK, Is.GreaterThan(ImportanceWeights.ParetoKThreshold));
        Assert.That(log.Warnings.Count(w => w.Contains("Pareto")), Is.EqualTo(1));
        var e = Assert.Throws<InvalidOperationException>(() => wide.Sample(10))!;
        Assert.That(e.Message, Does.Contain("ImportanceSample"));

        log.Clear();
        var narrow = new ImportanceSamplingPosterior(new ShiftedGaussianPotential([0], 0.8, 0), proposal, logger: log);
        narrow.SetDefaultX(zeros(1));
        var ok = narrow.ImportanceSample(100_000);
        Assert.That(ok.ParetoK, Is.LessThan(0));
        Assert.That(log.Warnings, Is.Empty);
        Assert.That(narrow.Sample(50).shape, Is.EqualTo(new long[] { 50, 1 }));
    }

    private static void AssertWithin(double[] x, double expected, double bias, string what)
    {
        int n = x.Length;
        double m = x.Average(), sd = Math.Sqrt(x.Sum(t => (t - m) * (t - m)) / (n - 1));
        Assert.That(Math.Abs(m - expected), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ * sd / Math.Sqrt(n) + bias), $"{what} {m}, expected {expected}");
    }
}
