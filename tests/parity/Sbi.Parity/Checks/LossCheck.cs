using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 2: on sbi's batch and weights, Sbi.Net's network log q, NPE-B importance weights, per-row and mean NPE-B loss
/// (−w_i log q_i) and round-0 NLL equal sbi's: in float64 against sbi's float64 evaluation of the same batch, and in
/// float32 as close to float64 as sbi's own float32 (<see cref="FloatAgreement"/>). Where the bundle has the
/// proposals' weights (p1/, p2/), the proposal log-densities themselves are compared too.
/// </summary>
public static class LossCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        using var est64 = Float64.Convert(EstimatorLoader.Load(b));
        using var in32 = new RecordedProposals(b);
        using var in64 = new RecordedProposals(b, float64: true);
        using var _ = no_grad();
        int n = (int)in32.Theta.shape[0];
        long h = est.Config.HiddenFeatures;
        var results = new List<CaseResult>();
        if (b.Names.Any(k => k.StartsWith("p1/sd/", StringComparison.Ordinal))) results.AddRange(ProposalColumns(id, b, in32, in64));

        var w32 = NpeB.ImportanceWeights(in32.Theta, in32.Prior, in32.Proposals, in32.Counts);
        var w64 = NpeB.ImportanceWeights(in64.Theta, in64.Prior, in64.Proposals, in64.Counts);
        // The weights normalise over the batch: the reduction is the batch sum.
        results.AddRange(CaseResult.Agreement(id, b.Origin, $"importance weights ({n} rows)",
            FloatAgreement.Of(w32, w64, b.Tensor("importance_weights"), b.Tensor("f64/importance_weights"), n, relative: true)));

        var lq32 = est.LogProbPaired(in32.Theta, in32.X);
        var lq64 = est64.LogProbPaired(in64.Theta, in64.X);
        results.AddRange(CaseResult.Agreement(id, b.Origin, "network log q",
            FloatAgreement.Of(lq32, lq64, b.Tensor("net_log_prob"), b.Tensor("f64/net_log_prob"), h)));
        var l32 = -(w32 * lq32);
        var l64 = -(w64 * lq64);
        results.AddRange(CaseResult.Agreement(id, b.Origin, "NPE-B loss per row",
            FloatAgreement.Of(l32, l64, b.Tensor("loss_per_row"), b.Tensor("f64/loss_per_row"), h)));
        results.AddRange(CaseResult.Agreement(id, b.Origin, "NPE-B loss (mean)",
            FloatAgreement.OfScalars(l32.mean().item<float>(), l64.mean().item<double>(), b.Scalar("loss"), b.Scalar("f64/loss"), n)));
        results.AddRange(CaseResult.Agreement(id, b.Origin, "round-0 NLL (mean)",
            FloatAgreement.OfScalars((-lq32).mean().item<float>(), (-lq64).mean().item<double>(), b.Scalar("loss_round0"), b.Scalar("f64/loss_round0"), n)));
        return results;
    }

    /// <summary>
    /// The recorded proposal columns recomputed from the proposals' weights: prior, then for each posterior
    /// q_k(θ | x_o) − log(acceptance_k) (sbi's DirectPosterior.log_prob with its cached leakage factor), −inf outside
    /// the box.
    /// </summary>
    private static IEnumerable<CaseResult> ProposalColumns(string id, ArrayBundle b, RecordedProposals in32, RecordedProposals in64)
    {
        int rounds = (int)b["proposal_log_prob"].Shape[1];
        var cols32 = new List<Tensor> { in32.Prior.LogProb(in32.Theta) };
        var cols64 = new List<Tensor> { in32.Prior.LogProb(in64.Theta) };
        var xo = b.Tensor("x_o");
        var inside = in32.Prior.WithinSupport(in32.Theta);
        for (int k = 1; k < rounds; k++)
        {
            double acc = b.Scalar($"p{k}_leakage_acceptance");
            using var p = EstimatorLoader.Load(b, $"p{k}/sd/");
            using var p64 = Float64.Convert(EstimatorLoader.Load(b, $"p{k}/sd/"));
            cols32.Add(where(inside, p.LogProb(in32.Theta.unsqueeze(1), xo).squeeze(1) - (float)Math.Log(acc), float.NegativeInfinity));
            cols64.Add(where(inside, p64.LogProb(in64.Theta.unsqueeze(1), xo.D()).squeeze(1) - Math.Log(acc), double.NegativeInfinity));
        }
        return CaseResult.Agreement(id, b.Origin, "proposal log-densities from p1/p2 weights",
            FloatAgreement.Of(stack(cols32, 1), stack(cols64, 1), b.Tensor("proposal_log_prob"), b.Tensor("f64/proposal_log_prob"), b.Json("config_json")["hidden_features"]!.GetValue<int>()));
    }
}
