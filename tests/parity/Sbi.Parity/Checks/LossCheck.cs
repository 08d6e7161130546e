using Sbi.Inference;
using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 2: on sbi's batch and weights, Sbi.Net's round-0 NLL, NPE-B importance weights and NPE-B loss
/// (mean of −w_i log q_i) equal sbi's.
/// </summary>
public static class LossCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        using var inputs = new RecordedProposals(b);
        using var _ = no_grad();
        var w = NpeBLoss.ImportanceWeights(inputs.Theta, inputs.Prior, inputs.Proposals, inputs.Counts);
        double nll = est.Loss(inputs.Theta, inputs.X).mean().item<float>();
        double loss = NpeBLoss.Loss(est, inputs.Theta, inputs.X, inputs.Prior, inputs.Proposals, inputs.Counts).mean().item<float>();
        double sbiNll = b.Scalar("loss_round0"), sbiLoss = b.Scalar("loss");
        int n = (int)inputs.Theta.shape[0];
        return new[]
        {
            CaseResult.Check(id, b.Origin, $"importance weights, max rel ({n} rows)", Diff.MaxRel(w, b.Tensor("importance_weights")), Tolerances.WeightsRel),
            CaseResult.Check(id, b.Origin, "round-0 NLL, rel", Diff.Rel(nll, sbiNll), Tolerances.LossRel, $"{nll:G7} vs sbi {sbiNll:G7}"),
            CaseResult.Check(id, b.Origin, "NPE-B loss, rel", Diff.Rel(loss, sbiLoss), Tolerances.LossRel, $"{loss:G7} vs sbi {sbiLoss:G7}"),
        };
    }
}
