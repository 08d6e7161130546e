using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 1: sbi's weights loaded into Sbi.Net give sbi's log q(θ | x) on the bundle's 1,000 rows: in float64 the same
/// values as sbi's float64 evaluation, in float32 as close to float64 as sbi's float32 (see <see cref="Tolerances"/>).
/// </summary>
public static class LogProbCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        using var est64 = Float64.Convert(EstimatorLoader.Load(b));
        using var _ = no_grad();
        var theta = b.Tensor("theta");
        var x = b.Tensor("x");
        var lp32 = est.LogProb(theta.unsqueeze(0), x)[0];
        var lp64 = est64.LogProb(theta.D().unsqueeze(0), x.D())[0];
        var a = FloatAgreement.Of(lp32, lp64, b.Tensor("log_prob"), b.Tensor("f64/log_prob"), est.Config.HiddenFeatures);
        return CaseResult.Agreement(id, b.Origin, $"log q ({lp32.shape[0]} rows)", a).ToList();
    }
}
