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

    /// <summary>Spec §5.3: no <c>net.</c> prefix on the θ buffers and the embedding; <c>_upper_layer</c> only for D &gt; 1.</summary>
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

    /// <summary>sbi's custom initialisation: logits and precision factors start near uniform weights and identity factors.</summary>
    [Test]
    public void InitialisationIsSbis()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var est = (MdnEstimator)PosteriorNn.Build(new DensityEstimatorOptions { Model = "mdn", ZScoreX = ZScoreMode.None })(randn(50, 3), randn(50, 3));
        using var _ = no_grad();
        var (logits, _, factors) = est.Mixture(randn(20, 3));
        Assert.That(logits.abs().max().item<float>(), Is.LessThan(0.01f));
        var eye = torch.eye(3).expand_as(factors);
        Assert.That((factors - eye).abs().max().item<float>(), Is.LessThan(0.01f));
    }

    /// <summary>
    /// log q(θ | x) equals the mixture density written out in double precision from the network's components: weights
    /// softmax(logits), precision AᵀA + 1e-4·I in the quadratic form, Σ log diag A as log-determinant, and −Σ log σ for the
    /// θ z-scoring (spec §4.6).
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void LogProbEqualsDirectMixtureComputation(int d)
    {
        using var scope = NewDisposeScope();
        var est = RandomMdn(d, 3, 20 + d);
        est.to(ScalarType.Float64);
        using var _ = no_grad();
        int n = 64;
        var x = randn(n, 3, dtype: ScalarType.Float64);
        var theta = randn(n, d, dtype: ScalarType.Float64) * 2;
        var lp = est.LogProb(theta, x)[0].data<double>().ToArray();
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
            double expected = maxT + Math.Log(terms.Sum(t => Math.Exp(t - maxT))) - sigma.Sum(Math.Log);
            Assert.That(lp[i], Is.EqualTo(expected).Within(1e-9 * (1 + Math.Abs(expected))), $"row {i}");
        }
    }

    /// <summary>
    /// ∫ q = 1 up to sbi's ε: the normaliser uses det A while the quadratic form uses AᵀA + 1e-4·I, which removes a
    /// fraction ≈ 5e-5·tr((AᵀA)⁻¹) of the mass (≪ 1e-3 here); the quadrature error is below 1e-3 as for the flows.
    /// Milder weight noise than elsewhere: stronger noise makes components with correlations near ±1, thin ridges that a
    /// 401 × 401 grid cannot resolve.
    /// </summary>
    [TestCase(1, 2001)]
    [TestCase(2, 401)]
    public void LogProbIntegratesToOne(int d, int points)
    {
        using var scope = NewDisposeScope();
        var est = RandomMdn(d, 2, 31, noise: 0.1);
        var x = tensor(new float[] { 0.4f, -1.1f }).unsqueeze(0);
        Assert.That(DensityChecks.Mass(est, x, points), Is.EqualTo(1.0).Within(1e-3));
    }

    /// <summary>
    /// 200,000 samples per condition have the exact moments of the mixture sbi's sampler draws from (weights
    /// softmax(logits), component covariance (AᵀA)⁻¹, then θ = z·σ + μ), within 5 standard errors.
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
            Assert.That(zMean, Is.LessThan(5.0), $"condition {b}: mean");
            Assert.That(zCov, Is.LessThan(5.0), $"condition {b}: covariance");
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
