using Sbi.Estimators;
using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>Case 4a (flows): the base noise sbi's sampler drew, pushed through Sbi.Net's inverse, gives sbi's samples.</summary>
public static class NoiseSampleCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        if (est is not FlowEstimator flow)
            return new[] { CaseResult.Skip(id, b.Origin, $"{est.Config.Kind} is not a flow with standard-normal base noise") };
        using var _ = no_grad();
        var noise = b.Tensor("noise");
        var samples = flow.SampleFromNoise(noise, b.Tensor("x_cond"));
        return new[] { CaseResult.Check(id, b.Origin, $"max |Δ sample| ({noise.shape[0]}x{noise.shape[1]} noise draws)",
            Diff.MaxAbs(samples, b.Tensor("samples")), Tolerances.NoiseSamplesAbs) };
    }
}
