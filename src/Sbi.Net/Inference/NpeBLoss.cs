using Sbi.Distributions;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// NPE-B's importance-weighted loss (sbi <c>NPE_B._log_prob_proposal_posterior</c>), spec §3.2–3.3:
/// w_i = p(θ_i) / Σ_k α_k q̃_k(θ_i), normalised to sum 1 over the batch, ℓ_i = −w_i · log q(θ_i | x_i).
/// As in sbi the densities are exponentiated in linear space (float32), so batches whose mixture density
/// underflows produce non-finite weights and are reported by the trainer's finiteness check.
/// </summary>
public static class NpeBLoss
{
    /// <summary>
    /// The importance weights for a batch: prior log-density and the log-densities of every proposal (one per
    /// appended block, with its mixture coefficient α_k = n_k / Σ n_j). A proposal of null means the prior.
    /// </summary>
    public static Tensor ImportanceWeights(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        var (a, m) = LogDensities(theta, prior, proposals, counts);
        using (a)
        using (m)
            return WeightsFromLogDensities(a, m);
    }

    /// <summary>
    /// The batch-independent ingredients of the weights for every row: the prior log-density a_i and the log of the
    /// proposal mixture m_i = logsumexp_k(log α_k + log q̃_k(θ_i)). Proposals are frozen while a round trains, so the
    /// trainer evaluates them once per <c>Train</c> call instead of once per batch and epoch; the weights of a batch
    /// are then <see cref="WeightsFromLogDensities"/>, the same arithmetic as <see cref="ImportanceWeights"/>.
    /// </summary>
    public static (Tensor LogPrior, Tensor LogMixture) LogDensities(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        if (proposals.Count != counts.Count || proposals.Count == 0)
            throw new ArgumentException($"need one count per proposal; got {proposals.Count} proposals and {counts.Count} counts.", nameof(counts));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = LogProbOn(prior, theta);
        CheckLogProb(a, "prior");
        double total = counts.Sum();
        var cols = new Tensor[proposals.Count];
        for (int k = 0; k < proposals.Count; k++)
        {
            var lp = LogProbOn(proposals[k] ?? prior, theta).reshape(-1);
            CheckLogProb(lp, $"proposal {k}");
            // A double scalar: float32 columns add it rounded to float32 (as sbi), float64 columns exactly.
            cols[k] = lp + Math.Log(counts[k] / total);
        }
        var m = stack(cols, 1).logsumexp(1);
        return (a.MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope());
    }

    /// <summary>Batch-normalised weights exp(a_i) / exp(m_i), divided by their sum (linear space, float32, as sbi).</summary>
    public static Tensor WeightsFromLogDensities(Tensor logPrior, Tensor logMixture)
    {
        using var scope = NewDisposeScope();
        var w = logPrior.exp() / logMixture.exp();
        return (w / w.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>Per-row NPE-B loss ℓ_i = −w_i · log q(θ_i | x_i); gradients flow through the estimator only.</summary>
    public static Tensor Loss(ConditionalDensityEstimator estimator, Tensor theta, Tensor x, IDistribution prior,
                              IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        var w = ImportanceWeights(theta, prior, proposals, counts);
        return -(w * estimator.LogProbPaired(theta, x));
    }

    /// <summary>Evaluates a density where it lives (a prior may stay on the CPU while training runs on a GPU).</summary>
    private static Tensor LogProbOn(IDensity density, Tensor theta)
    {
        var t = density is IDistribution d && (d.Device.type != theta.device.type || d.Device.index != theta.device.index) ? theta.to(d.Device) : theta;
        return density.LogProb(t).to(theta.device);
    }

    private static void CheckLogProb(Tensor lp, string what)
    {
        // sbi asserts no NaN and no +inf (−inf is allowed: θ outside the support has weight 0).
        if (lp.isnan().any().item<bool>() || lp.isposinf().any().item<bool>())
            throw new InvalidOperationException($"the {what} log-density has NaN or +inf entries for this batch.");
    }
}
