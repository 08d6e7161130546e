using Sbi.Estimators;
using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 4a (flows): the base noise sbi's sampler drew, pushed through Sbi.Net's inverse, gives sbi's samples (float64
/// against sbi's float64 inverse, float32 against float64), and Sbi.Net's log-density at sbi's samples is sbi's.
/// </summary>
public static class NoiseSampleCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        if (est is not FlowEstimator flow)
            return new[] { CaseResult.Skip(id, b.Origin, $"{est.Config.Estimator} is not a flow with standard-normal base noise") };
        using var flow64 = Float64.Convert((FlowEstimator)EstimatorLoader.Load(b));
        using var _ = no_grad();
        var noise = b.Tensor("noise");
        var xc = b.Tensor("x_cond");
        var samples = FloatAgreement.Of(flow.SampleFromNoise(noise, xc), flow64.SampleFromNoise(noise.D(), xc.D()),
                                        b.Tensor("samples"), b.Tensor("f64/samples"), est.Config.HiddenFeatures);
        // The density at sbi's own float32 samples, so that only the density is compared.
        var atSamples = b.Tensor("samples");
        long s = atSamples.shape[1];
        var lp32 = est.LogProb(atSamples.transpose(0, 1), xc).transpose(0, 1);
        var lp64 = flow64.LogProb(atSamples.D().transpose(0, 1), xc.D()).transpose(0, 1);
        var density = FloatAgreement.Of(lp32, lp64, b.Tensor("samples_log_prob"), b.Tensor("f64/samples_log_prob"), est.Config.HiddenFeatures);
        string draws = $"{noise.shape[0]}x{s} noise draws";
        return CaseResult.Agreement(id, b.Origin, $"samples ({draws})", samples)
            .Concat(CaseResult.Agreement(id, b.Origin, "log q at sbi's samples", density)).ToList();
    }
}
