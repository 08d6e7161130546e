using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// A faster evaluation of a flow's inverse (noise → θ) for sampling without gradients, supplied by the family that
/// built the flow (the MAF's fused CPU sampler). Returns null where it does not apply (another device, a layout it does
/// not know), and the flow then runs its transforms.
/// </summary>
public interface IFlowInverseKernel
{
    /// <summary>θ rows for noise rows (B·S, D), row r conditioned on context row r / S; or null.</summary>
    Tensor? TryInverse(Flow flow, Tensor noise, Tensor context);
}
