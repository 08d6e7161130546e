using NUnit.Framework;
using Sbi.Estimators;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Estimators;

public class MdnTests
{
    /// <summary>An MDN with noisy weights (non-trivial components and correlations), z-scoring from a skewed batch.</summary>
    internal static MdnEstimator RandomMdn(int d, int c, int seed, double noise = 0.3)
    {
        manual_seed(seed);
        var theta = randn(500, d) * 1.5 + 0.3;
        var x = randn(500, c);
        var est = (MdnEstimator)PosteriorNn.Build(new DensityEstimatorOptions { Model = "mdn", HiddenFeatures = 16, NumComponents = 4 })(theta, x);
        DensityChecks.Perturb(est, noise);
        est.eval();
        return est;
    }

    /// <summary>Trainable parameter counts of sbi's MDN with C = 3 (parity README; D = 3, C = 4: 7,900 in the spec).</summary>
    [TestCase(1, 3, 4_280)]
    [TestCase(2, 3, 5_810)]
    [TestCase(5, 3, 13_460)]
    [TestCase(3, 4, 7_900)]
    public void ParameterCountsEqualSbis(int d, int c, long expected)
    {
        using var scope = NewDisposeScope();
        var est = PosteriorNn.Build("mdn")(randn(50, d), randn(50, c));
        Assert.That(est.NumTrainableParameters, Is.EqualTo(expected));
    }

    /// <summary>sbi's MDN state-dict keys (sbi/neural_nets/net_builders/mdn.py): no <c>net.</c> prefix on the θ buffers and the embedding; <c>_upper_layer</c> only for D &gt; 1.</summary>
    [Test]
    public void StateDictKeysFollowSbi()
    {
        using var scope = NewDisposeScope();
        var heads = new[] { "net._hidden_net.0", "net._hidden_net.2", "net._logits_layer", "net._means_layer", "net._unconstrained_diagonal_layer" };
        var common = new[] { "_transform_shift", "_transform_scale", "_embedding_net.0._mean", "_embedding_net.0._std" }
            .Concat(heads.SelectMany(h => new[] { h + ".weight", h + ".bias" })).ToArray();
        var keys1 = PosteriorNn.Build("mdn")(randn(50, 1), randn(50, 3)).state_dict().Keys;
        Assert.That(keys1, Is.EquivalentTo(common));
        var keys2 = PosteriorNn.Build("mdn")(randn(50, 2), randn(50, 3)).state_dict().Keys;
        Assert.That(keys2, Is.EquivalentTo(common.Concat(new[] { "net._upper_layer.weight", "net._upper_layer.bias" })));
        var noZ = PosteriorNn.Build(new DensityEstimatorOptions { Model = "mdn", ZScoreTheta = ZScoreMode.None, ZScoreX = ZScoreMode.None })(randn(50, 2), randn(50, 3));
        Assert.That(noZ.state_dict().Keys.Any(k => k.StartsWith("_transform") || k.StartsWith("_embedding")), Is.False);
    }

    /// <summary>
    /// sbi's custom initialisation (near-uniform mixture weights, near-identity precision factors): the logit layer's and
    /// the factor layers' weights are N(0, ε²) with ε = 1e-4 (sample std within <see cref="Tolerances.MonteCarloZ"/>
    /// standard errors σ/√(2(n − 1)) of ε), the logit biases N(0, ε²), the upper-factor biases 0 and the diagonal biases
    /// log(exp(1 − ε) − 1), so that softplus gives the diagonal 1 − ε.
    /// </summary>
    [Test]
    public void InitialisationIsSbis()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var est = (MdnEstimator)PosteriorNn.Build(new DensityEstimatorOptions { Model = "mdn", ZScoreX = ZScoreMode.None })(randn(50, 3), randn(50, 3));
        var sd = est.state_dict();
        const double eps = 1e-4;
        foreach (var key in new[] { "net._logits_layer.weight", "net._logits_layer.bias", "net._unconstrained_diagonal_layer.weight", "net._upper_layer.weight" })
        {
            long n = sd[key].numel();
            double std = sd[key].std().item<float>();
            Assert.That(Math.Abs(std - eps) / (eps / Math.Sqrt(2 * (n - 1))), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"{key}: std {std:G4} of {n} entries");
        }
        Assert.That(sd["net._upper_layer.bias"].eq(0).all().item<bool>(), "upper-factor biases are 0");
        using (var one = tensor((float)(1 - eps)))
        using (var sp = one.exp().sub_(1).log_())
            Assert.That(sd["net._unconstrained_diagonal_layer.bias"].eq(sp).all().item<bool>(), "diagonal biases are log(exp(1 − ε) − 1)");
    }

    /// <summary>
    /// log q(θ | x) equals the mixture density written out in double precision from the network's components: weights
    /// softmax(logits), precision AᵀA + 1e-4·I in the quadratic form, Σ log diag A as log-determinant, and −Σ log σ for the
    /// θ z-scoring (sbi/neural_nets/net_builders/mdn.py, build_mdn).
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void LogProbEqualsDirectMixtureComputation(int d)
    {
        using var scope = NewDisposeScope();
        var est32 = RandomMdn(d, 3, 20 + d);
        var est = (MdnEstimator)Float64.Copy(est32);
        using var _ = no_grad();
        int n = 64;
        var x = randn(n, 3, dtype: ScalarType.Float64);
        var theta = randn(n, d, dtype: ScalarType.Float64) * 2;
        var lp = est.LogProb(theta, x)[0].data<double>().ToArray();
        var reference = new double[n];
        var (logits, means, factors) = est.Mixture(x);
        var sd = est.state_dict();
        var mu = sd["_transform_shift"].data<double>().ToArray();
        var sigma = sd["_transform_scale"].data<double>().ToArray();
        int k = (int)logits.shape[1];
        var L = logits.data<double>().ToArray();
        var M = means.data<double>().ToArray();
        var A = factors.data<double>().ToArray();
        var T = theta.data<double>().ToArray();
        for (int i = 0; i < n; i++)
        {
            var z = Enumerable.Range(0, d).Select(j => (T[i * d + j] - mu[j]) / sigma[j]).ToArray();
            double maxL = Enumerable.Range(0, k).Max(c => L[i * k + c]);
            double logNorm = maxL + Math.Log(Enumerable.Range(0, k).Sum(c => Math.Exp(L[i * k + c] - maxL)));
            var terms = new double[k];
            for (int c = 0; c < k; c++)
            {
                double Af(int r, int col) => A[((i * k + c) * d + r) * d + col];
                var diff = Enumerable.Range(0, d).Select(j => z[j] - M[(i * k + c) * d + j]).ToArray();
                double quad = 0, logDiag = 0;
                for (int r = 0; r < d; r++)
                    for (int col = 0; col < d; col++)
                    {
                        double p = 0;   // (AᵀA)[r, col]
                        for (int m = 0; m < d; m++) p += Af(m, r) * Af(m, col);
                        if (r == col) p += 1e-4;
                        quad += diff[r] * p * diff[col];
                    }
                for (int r = 0; r < d; r++) logDiag += Math.Log(Af(r, r));
                terms[c] = L[i * k + c] - logNorm - 0.5 * d * Math.Log(2 * Math.PI) + logDiag - 0.5 * quad;
            }
            double maxT = terms.Max();
            reference[i] = maxT + Math.Log(terms.Sum(t => Math.Exp(t - maxT))) - sigma.Sum(Math.Log);
        }
        // Two float64 evaluations of the same formulas; the float32 estimator's distance to float64 (largest over
        // RoundingRealisations) measures the conditioning (Tolerances.SameMathsFloat64).
        double e32 = RoundingRealisations.MaxError(r =>
        {
            var xr = RoundingRealisations.Perturb(x.to(ScalarType.Float32), r);
            var t32 = theta.to(ScalarType.Float32);
            return (est32.LogProb(t32, xr)[0].D() - est.LogProb(t32.D(), xr.D())[0]).abs().max().item<double>();
        });
        double bound = Tolerances.SameMathsFloat64(e32, k, reference.Max(Math.Abs));
        for (int i = 0; i < n; i++) Assert.That(lp[i], Is.EqualTo(reference[i]).Within(bound), $"row {i} (float32 error {e32:G3})");
    }

    /// <summary>
    /// ∫ q = Σ_k w_k·√(det(AₖᵀAₖ) / det(AₖᵀAₖ + εI)), not 1: sbi's normaliser uses det A while its quadratic form uses
    /// AᵀA + ε·I (ε = 1e-4), which removes that fraction of each component's mass (see
    /// <see cref="DensityChecks.AssertIntegratesTo"/> for the quadrature). Milder weight noise than elsewhere: stronger
    /// noise makes components with correlations near ±1, thin ridges that a 401 × 401 grid cannot resolve.
    /// </summary>
    [TestCase(1, 2001)]
    [TestCase(2, 401)]
    public void LogProbIntegratesToOne(int d, int points)
    {
        using var scope = NewDisposeScope();
        var est = RandomMdn(d, 2, 31, noise: 0.1);
        var x = tensor(new float[] { 0.4f, -1.1f }).unsqueeze(0);
        using var est64 = (MdnEstimator)Float64.Copy(est);
        double mass;
        using (no_grad())
        {
            var (logits, _, factors) = est64.Mixture(x.D());
            var precision = factors.transpose(-1, -2).matmul(factors);
            var ratio = (linalg.det(precision) / linalg.det(precision + 1e-4 * eye(d, dtype: ScalarType.Float64))).sqrt();
            mass = (softmax(logits, -1) * ratio).sum().item<double>();
        }
        DensityChecks.AssertIntegratesTo(est, x, points, mass);
    }

    /// <summary>
    /// 200,000 samples per condition have the exact moments of the mixture sbi's sampler draws from (weights
    /// softmax(logits), component covariance (AᵀA)⁻¹, then θ = z·σ + μ), within <see cref="Tolerances.MonteCarloZ"/> standard errors.
    /// </summary>
    [TestCase(1)]
    [TestCase(3)]
    public void SampleMomentsMatchTheSampledMixture(int d)
    {
        using var scope = NewDisposeScope();
        var est = RandomMdn(d, 3, 40 + d);
        est.to(ScalarType.Float64);
        using var _ = no_grad();
        var x = randn(2, 3, dtype: ScalarType.Float64);
        const int n = 200_000;
        var samples = est.Sample(n, x);                                   // (n, 2, d)
        var (logits, means, factors) = est.Mixture(x);
        var sd = est.state_dict();
        var mu = sd["_transform_shift"];
        var sigma = sd["_transform_scale"];
        var w = softmax(logits, -1);                                      // (2, K)
        var covK = linalg.inv(factors.transpose(-1, -2).matmul(factors)); // (2, K, d, d)
        var mMean = (w.unsqueeze(-1) * means).sum(1);                     // (2, d)
        var centred = means - mMean.unsqueeze(1);
        var mCov = (w.unsqueeze(-1).unsqueeze(-1) * (covK + centred.unsqueeze(-1) * centred.unsqueeze(-2))).sum(1);
        var exactMean = mMean * sigma + mu;
        var exactCov = mCov * sigma.unsqueeze(-1) * sigma.unsqueeze(-2);
        for (int b = 0; b < 2; b++)
        {
            var s = samples.select(1, b);
            var m = s.mean(new long[] { 0 });
            var cen = s - m;
            var cov = cen.t().matmul(cen) / (n - 1);
            var seMean = (exactCov[b].diagonal() / n).sqrt();
            var zMean = ((m - exactMean[b]) / seMean).abs().max().item<double>();
            var m22 = (cen.unsqueeze(-1).square() * cen.unsqueeze(-2).square()).mean(new long[] { 0 });
            var seCov = ((m22 - cov.square()) / n).sqrt();
            var zCov = ((cov - exactCov[b]) / seCov).abs().max().item<double>();
            Assert.That(zMean, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"condition {b}: mean");
            Assert.That(zCov, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"condition {b}: covariance");
        }
    }

    [Test]
    public void NonFiniteMixtureParametersRaise()
    {
        using var scope = NewDisposeScope();
        var est = RandomMdn(2, 3, 50);
        using (no_grad()) est.state_dict()["net._means_layer.bias"][0] = float.NaN;
        var ex = Assert.Throws<InvalidOperationException>(() => est.LogProb(randn(4, 2), randn(4, 3)));
        Assert.That(ex!.Message, Does.Contain("means"));
        Assert.Throws<InvalidOperationException>(() => est.Sample(3, randn(2, 3)));
        using (no_grad()) est.state_dict()["net._means_layer.bias"][0] = 0f;
        using (no_grad()) est.state_dict()["net._logits_layer.bias"][1] = float.PositiveInfinity;
        ex = Assert.Throws<InvalidOperationException>(() => est.LogProb(randn(4, 2), randn(4, 3)));
        Assert.That(ex!.Message, Does.Contain("logits"));
    }

    [Test]
    public void ModelFileRoundTripIsExact() => DensityChecks.ModelFileRoundTripIsExact(RandomMdn(2, 3, 8), "net._upper_layer.weight");

    [Test]
    public void SampleAndLogProbShapesFollowSbi()
    {
        using var scope = NewDisposeScope();
        var est = RandomMdn(3, 2, 4);
        using var _ = no_grad();
        var s = est.Sample(7, randn(4, 2));
        Assert.That(s.shape, Is.EqualTo(new long[] { 7, 4, 3 }));
        Assert.That(est.LogProb(s, randn(4, 2)).shape, Is.EqualTo(new long[] { 7, 4 }));
        Assert.That(est.Loss(randn(5, 3), randn(5, 2)).shape, Is.EqualTo(new long[] { 5 }));
    }

    [Test]
    public void GaussianLinearPosteriorIsAccurate() => DensityChecks.GaussianLinearPosteriorIsAccurate("mdn");
}
