using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>Case 1: sbi's weights loaded into Sbi.Net give sbi's log q(θ | x) on the bundle's 1,000 rows.</summary>
public static class LogProbCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        using var _ = no_grad();
        var lp = est.LogProb(b.Tensor("theta").unsqueeze(0), b.Tensor("x"))[0];
        return new[] { CaseResult.Check(id, b.Origin, $"max |Δ log q| ({lp.shape[0]} rows)", Diff.MaxAbs(lp, b.Tensor("log_prob")), Tolerances.LogProbAbsFor(est.Config.Kind)) };
    }
}
