using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Parity.Data;
using Sbi.Posteriors;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 4b: a DirectPosterior over sbi's weights at an observation where much of the estimator's mass leaks out of
/// the prior box. Sbi.Net's leakage factor and rejection-sample moments must agree with sbi's within Monte-Carlo
/// error (|z| of the difference of two independent estimates), and its log_prob must be sbi's raw log-density
/// minus its own log factor, with −inf at the same places (outside the box).
/// </summary>
public static class DirectPosteriorCheck
{
    /// <param name="id">Case id.</param>
    /// <param name="b">sbi's outputs (direct_{est}_D2.npz or a live "direct" reply).</param>
    /// <param name="weights">The estimator's weights and config ({est}_D2.npz).</param>
    /// <param name="seed">Seed of Sbi.Net's own Monte-Carlo draws.</param>
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b, ArrayBundle weights, int seed = 12345)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(weights);
        using var prior = new BoxUniform(b.Tensor("prior_low"), b.Tensor("prior_high"));
        var post = new DirectPosterior(est, prior).SetDefaultX(b.Tensor("x_o"));
        manual_seed(seed);

        // Leakage factor: acceptance of rejection sampling until 10,000 accepted; binomial standard errors.
        double accOurs = post.LeakageCorrection(b.Tensor("x_o"));
        double accSbi = b.Scalar("leakage_acceptance"), nSbi = b.Scalar("leakage_num_proposed");
        // Sbi.Net proposed at least 10,000/acceptance rows; using that lower bound overstates its error slightly.
        double nOurs = Math.Max(10_000 / Math.Max(accOurs, 1e-12), 1);
        double zAcc = (accOurs - accSbi) / Math.Sqrt(accOurs * (1 - accOurs) / nOurs + accSbi * (1 - accSbi) / nSbi);

        // log_prob at sbi's evaluation points (posterior samples plus rows outside the box).
        var theta = b.Tensor("eval_theta");
        using var _ = no_grad();
        var lpNorm = post.LogProb(theta);
        var lpRaw = post.LogProb(theta, normPosterior: false);
        using var est64 = Float64.Convert(EstimatorLoader.Load(weights));
        var (raw, norm) = LogProbAgreements(lpRaw, lpNorm.to(ScalarType.Float64) + Math.Log(accOurs), est64, prior, b, accSbi);

        // Rejection samples: means and variances per dimension against sbi's, in units of their standard errors.
        long n = (long)b.Scalar("num_samples");
        var s = post.Sample(n, b.Tensor("x_o")).to(ScalarType.Float64);
        var mean = s.mean(new long[] { 0 });
        var centred = s - mean;
        var variance = centred.pow(2).sum(new long[] { 0 }) / (n - 1);
        var m4 = centred.pow(4).mean(new long[] { 0 });
        var sMean = b.Tensor("sample_mean"); var sVar = b.Tensor("sample_var"); var sM4 = b.Tensor("sample_m4");
        double nSbiSamples = n;
        var zMean = (mean - sMean) / ((variance / n) + (sVar / nSbiSamples)).sqrt();
        var zVar = (variance - sVar) / (((m4 - variance.pow(2)) / n) + ((sM4 - sVar.pow(2)) / nSbiSamples)).sqrt();
        double zMoments = Math.Max(zMean.abs().max().item<double>(), zVar.abs().max().item<double>());

        return new[]
        {
            CaseResult.Check(id, b.Origin, "leakage factor |z|", Math.Abs(zAcc), Tolerances.MonteCarloZ,
                $"acceptance {accOurs:F4} vs sbi {accSbi:F4}"),
        }
        .Concat(CaseResult.Agreement(id, b.Origin, $"log_prob raw ({theta.shape[0]} rows, 6 outside)", raw))
        .Concat(CaseResult.Agreement(id, b.Origin, "log_prob + log factor", norm))
        .Append(
            CaseResult.Check(id, b.Origin, $"rejection samples mean/var, max |z| ({n} each)", zMoments, Tolerances.MonteCarloZ,
                $"mean [{Fmt(mean)}] vs sbi [{Fmt(sMean)}]")).ToList();
    }

    /// <summary>
    /// The raw (prior-masked) and the normalised log-density at the bundle's eval_theta against sbi's, float32 and
    /// float64 (<see cref="FloatAgreement"/>). The float64 side is the definition of the raw density, the float64
    /// estimator's log q with −inf outside the prior's support. Each side's own Monte-Carlo factor is removed from
    /// the normalised values (<paramref name="oursNormPlusLogFactor"/>, sbi's eval_log_prob + log acceptance): what is
    /// left must be the same density.
    /// </summary>
    internal static (FloatAgreement Raw, FloatAgreement Normalised) LogProbAgreements(Tensor oursRaw32, Tensor oursNormPlusLogFactor,
        ConditionalDensityEstimator est64, IDistribution prior, ArrayBundle b, double accSbi)
    {
        var theta = b.Tensor("eval_theta");
        var lp64 = est64.LogProb(theta.D().unsqueeze(1), b.Tensor("x_o").D()).squeeze(1);
        var raw64 = where(prior.WithinSupport(theta), lp64, double.NegativeInfinity);
        long h = est64.Config.HiddenFeatures;
        var raw = FloatAgreement.Of(oursRaw32, raw64, b.Tensor("eval_log_prob_raw"), b.Tensor("f64/eval_log_prob_raw"), h);
        var norm = FloatAgreement.Of(oursNormPlusLogFactor, raw64, b.Tensor("eval_log_prob").D() + Math.Log(accSbi),
                                     b.Tensor("f64/eval_log_prob") + Math.Log(accSbi), h);
        return (raw, norm);
    }

    private static string Fmt(Tensor t) => string.Join(", ", t.to(ScalarType.Float64).data<double>().ToArray().Select(v => v.ToString("F3")));
}
