using Sbi.Estimators;
using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 4c (mixtures, whose sampling randomness cannot be matched with sbi's): the MDN's exact mixture moments
/// against sbi's (float32 and float64, <see cref="FloatAgreement"/>), and sample moments of Sbi.Net's sampler (50,000
/// draws per condition) against sbi's 200,000 within <see cref="Tolerances.MonteCarloZ"/> combined standard errors:
/// MDN, MADE with sbi's sampler (dummy drawn), and MADE with the dummy kept at 0 (the density its log_prob evaluates,
/// <see cref="MadeMixtureDistribution.FixDummyWhenSampling"/>; the two differ by up to 13.5 standard errors in these
/// files, so the check tells them apart).
/// </summary>
public static class MomentCheck
{
    private const int Draws = 50_000;

    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b, int seed)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        var results = new List<CaseResult>();
        if (est is MdnEstimator mdn)
        {
            using var mdn64 = Float64.Convert((MdnEstimator)EstimatorLoader.Load(b));
            using var _ = no_grad();
            var (m32, c32) = ExactMoments(mdn, b.Tensor("x_cond"));
            var (m64, c64) = ExactMoments(mdn64, b.Tensor("x_cond").D());
            long k = est.Config.NumComponents;
            results.AddRange(CaseResult.Agreement(id, b.Origin, "exact mixture mean", FloatAgreement.Of(m32, m64, b.Tensor("exact_mean"), b.Tensor("f64/exact_mean"), k)));
            results.AddRange(CaseResult.Agreement(id, b.Origin, "exact mixture covariance", FloatAgreement.Of(c32, c64, b.Tensor("exact_cov"), b.Tensor("f64/exact_cov"), k)));
        }
        manual_seed(seed);
        results.AddRange(SampleMoments(id, b, est, "", "sampler"));
        if (est is FlowEstimator { Net.Distribution: MadeMixtureDistribution made })
        {
            made.FixDummyWhenSampling = true;
            manual_seed(seed + 1);
            results.AddRange(SampleMoments(id, b, est, "dummy0_", "sampler with the dummy at 0"));
        }
        return results;
    }

    /// <summary>
    /// Mean and covariance of the mixture the MDN sampler draws from, computed in the estimator's dtype: weights
    /// softmax(logits), component covariances (AᵀA)⁻¹, θ = z·σ + μ (as sbi's get_uncorrected_mog, python/sbi_parity_float64.py).
    /// </summary>
    public static (Tensor Mean, Tensor Cov) ExactMoments(MdnEstimator est, Tensor x)
    {
        var (logits, means, factors) = est.Mixture(x);
        var sd = est.state_dict();
        var mu = sd["_transform_shift"];
        var sigma = sd["_transform_scale"];
        var w = softmax(logits, -1);
        var covK = linalg.inv(factors.transpose(-1, -2).matmul(factors));
        var mMean = (w.unsqueeze(-1) * means).sum(1);
        var centred = means - mMean.unsqueeze(1);
        var mCov = (w.unsqueeze(-1).unsqueeze(-1) * (covK + centred.unsqueeze(-1) * centred.unsqueeze(-2))).sum(1);
        return (mMean * sigma + mu, mCov * sigma.unsqueeze(-1) * sigma.unsqueeze(-2));
    }

    /// <summary>Largest |z| of Sbi.Net's sample means and covariances against the bundle's (prefix "" or "dummy0_").</summary>
    private static IEnumerable<CaseResult> SampleMoments(string id, ArrayBundle b, ConditionalDensityEstimator est, string prefix, string what)
    {
        using var _ = no_grad();
        long sbiDraws = (long)b.Scalar("num_mc_samples");
        // Our standard error is √(sbi's n / ours) times sbi's stored one; the difference's is √(1 + n_sbi/n_ours) times.
        double combined = Math.Sqrt(1 + (double)sbiDraws / Draws);
        var xc = b.Tensor("x_cond");
        double zm = 0, zc = 0;
        for (int c = 0; c < xc.shape[0]; c++)
        {
            var s = est.Sample(Draws, xc[c..(c + 1)])[.., 0].to(ScalarType.Float64);
            var m = s.mean(new long[] { 0 });
            var cen = s - m;
            var cov = cen.t().matmul(cen) / (Draws - 1);
            zm = Math.Max(zm, ((m - b.Tensor(prefix + "sample_mean")[c]) / (b.Tensor(prefix + "sample_mean_se")[c] * combined)).abs().max().item<double>());
            zc = Math.Max(zc, ((cov - b.Tensor(prefix + "sample_cov")[c]) / (b.Tensor(prefix + "sample_cov_se")[c] * combined)).abs().max().item<double>());
        }
        yield return CaseResult.Check(id, b.Origin, $"{what}: sample mean, max |z| ({Draws} vs {sbiDraws} draws)", zm, Tolerances.MonteCarloZ);
        yield return CaseResult.Check(id, b.Origin, $"{what}: sample covariance, max |z|", zc, Tolerances.MonteCarloZ);
    }
}
