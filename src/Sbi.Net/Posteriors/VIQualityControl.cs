using Microsoft.Extensions.Logging;
using System.Globalization;
using Sbi.Distributions;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// The result of a VI quality check (<see cref="VIPosterior.Evaluate"/>): the metric, its value, whether it is in sbi's
/// "good" range and sbi's reading of it.
/// </summary>
public sealed record VIQuality(string Metric, double Value, bool Good, string Interpretation)
{
    /// <inheritdoc/>
    public override string ToString() => $"Quality Score: {Value.ToString("F3", CultureInfo.InvariantCulture)} ({Metric}) {Interpretation}";
}

/// <summary>q failed sbi's basic checks (non-finite samples or densities, samples outside the prior's support).</summary>
public sealed class VIQualityCheckException(string message) : InvalidOperationException(message);

/// <summary>
/// sbi's VI quality metrics (sbi/samplers/vi/vi_quality_control.py), each preceded by sbi's <c>basic_checks</c>:
/// "psis", the Pareto-k̂ of the importance weights p̃(θ)/q(θ) over q's samples (Yao, Vehtari, Simpson and Gelman 2018:
/// 0.5 and below good, above <see cref="ImportanceWeights.ParetoKThreshold"/> unreliable, above 1 bad; fitted by
/// <see cref="ImportanceWeights.ParetoK"/>, whose deviation from sbi's fit is documented there); "prop", the R² of the
/// linear fit exp(potential) ≈ c·q over q's samples (1 is perfect, below 0.5 bad), and "prop_prior", the same over prior
/// samples. R² is computed in float64 from exp(· − max), which leaves it unchanged (it is invariant to scaling either
/// side) where sbi's float32 exp overflows.
/// </summary>
public static class VIQualityControl
{
    /// <summary>The metrics, by sbi's names.</summary>
    public static IReadOnlyList<string> Metrics { get; } = ["psis", "prop", "prop_prior"];

    /// <summary>Below this the "prop" metrics count as bad (sbi's message: "Bad: Smaller than 0.5").</summary>
    public const double ProportionalityThreshold = 0.5;

    /// <summary>Checks a metric name.</summary>
    /// <exception cref="ArgumentException">not one of <see cref="Metrics"/>.</exception>
    public static void CheckMetric(string metric, string argumentName)
    {
        if (metric is null || !Metrics.Contains(metric, StringComparer.Ordinal))
            throw new ArgumentException($"{argumentName} must be one of {string.Join(", ", Metrics.Select(m => $"'{m}'"))}; got {(metric is null ? "null" : $"'{metric}'")}.", argumentName);
    }

    /// <summary>
    /// Runs sbi's basic checks and the metric on <paramref name="n"/> samples of the posterior's q at its fitted x (a
    /// single-x q) or the default x (amortised); warns through <paramref name="logger"/> when the value is out of the good
    /// range.
    /// </summary>
    /// <exception cref="VIQualityCheckException">q's samples or densities fail the basic checks.</exception>
    public static VIQuality Evaluate(VIPosterior posterior, Tensor x, string metric, int n, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        ArgumentNullException.ThrowIfNull(logger);
        CheckMetric(metric, nameof(metric));
        Guard.Positive(n, nameof(n));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var prior = posterior.Prior;
        var samples = posterior.Sample(n, x);
        var priorSamples = prior.Sample(n).to(ScalarType.Float32);
        var logQ = posterior.LogProb(samples, x);
        var logQPrior = posterior.LogProb(priorSamples, x);
        BasicChecks(prior, samples, logQ, logQPrior);
        double value;
        string interpretation;
        bool good;
        var potential = posterior.Potential;
        if (metric == "psis")
        {
            var logW = potential.Evaluate(samples, trackGradients: false).to(ScalarType.Float64) - logQ.to(ScalarType.Float64);
            value = ImportanceWeights.ParetoK(logW.nan_to_num(double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity));
            good = value <= ImportanceWeights.ParetoKThreshold;
            interpretation = "Good: smaller than 0.5, bad: larger than 1.0 (sbi); NOTE: less sensitive to mode collapse.";
            if (!good)
                logger.LogWarning(LogEvents.VariationalInference, $"VI quality control: the Pareto-k̂ of the importance weights p̃/q is {value:F2} (> {ImportanceWeights.ParetoKThreshold}): q is a poor " +
                            "fit of the potential (its tails are too light where the potential has mass), so q's samples and importance-weighted " +
                            "estimates from them are unreliable. Train longer, with more particles, or with a mass-covering method (fKL, IW).");
        }
        else
        {
            bool onPrior = metric == "prop_prior";
            var at = onPrior ? priorSamples : samples;
            var lq = onPrior ? logQPrior : logQ;
            value = Proportionality(lq, potential.Evaluate(at, trackGradients: false));
            good = value >= ProportionalityThreshold;
            interpretation = "Good: larger than 0.5, best is 1.0, bad: smaller than 0.5 (sbi).";
            if (!good)
                logger.LogWarning(LogEvents.VariationalInference, $"VI quality control: exp(potential) is not proportional to q over {(onPrior ? "prior" : "q's")} samples (R² = {value:F3} < " +
                            $"{ProportionalityThreshold}): q is a poor fit of the potential. Train longer or with more particles.");
        }
        var quality = new VIQuality(metric, value, good, interpretation);
        logger.LogInformation(LogEvents.VariationalInference, quality.ToString());
        return quality;
    }

    /// <summary>
    /// sbi's <c>proportional_to_joint_diagnostics</c>: R² = 1 − Σ(Y − wX)² / Σ(Y − Ȳ)² of the least-squares fit Y = wX through
    /// the origin, X = exp(log q), Y = exp(potential), in float64 with both sides scaled by exp(−max) first.
    /// </summary>
    public static double Proportionality(Tensor logQ, Tensor potential)
    {
        ArgumentNullException.ThrowIfNull(logQ);
        ArgumentNullException.ThrowIfNull(potential);
        var lq = logQ.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        var lp = potential.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        if (lq.Length != lp.Length || lq.Length < 2)
            throw new ArgumentException($"logQ and potential must have the same length ≥ 2; got {lq.Length} and {lp.Length}.", nameof(potential));
        double mq = lq.Where(double.IsFinite).DefaultIfEmpty(0).Max(), mp = lp.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var xs = lq.Select(v => Math.Exp(v - mq)).ToArray();
        var ys = lp.Select(v => Math.Exp(v - mp)).ToArray();
        double xx = 0, xy = 0, ySum = 0;
        for (int i = 0; i < xs.Length; i++) { xx += xs[i] * xs[i]; xy += xs[i] * ys[i]; ySum += ys[i]; }
        double w = xy / xx, yMean = ySum / ys.Length, res = 0, tot = 0;
        for (int i = 0; i < xs.Length; i++) { res += Math.Pow(ys[i] - w * xs[i], 2); tot += Math.Pow(ys[i] - yMean, 2); }
        return 1 - res / tot;
    }

    private static void BasicChecks(IDistribution prior, Tensor samples, Tensor logQ, Tensor logQPrior)
    {
        if (!samples.isfinite().all().item<bool>()) throw new VIQualityCheckException("some of q's samples are not finite");
        if (!Support.Within(prior, samples).all().item<bool>()) throw new VIQualityCheckException("some of q's samples lie outside the prior's support");
        if (!logQ.isfinite().all().item<bool>()) throw new VIQualityCheckException("q's log-density is not finite at some of its own samples");
        if (!logQPrior.isfinite().all().item<bool>()) throw new VIQualityCheckException("q's log-density is not finite at some prior samples");
    }
}
