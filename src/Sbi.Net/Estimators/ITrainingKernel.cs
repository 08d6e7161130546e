using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// A hand-written forward/backward pass of one estimator family for training (the built-in families' fused CPU
/// kernels, <c>Sbi.Nn.Fused</c>): log q for a batch, then the gradients of L = Σ_i c_i log q_i written into the
/// parameters' gradient buffers. Losses that are functions of the log-probs only (round 0, NPE-B, calibration
/// kernels) get c from autograd on a leaf. A family offers one through <see cref="IEstimatorFamily.TryCreateTrainingKernel"/>.
/// </summary>
public interface ITrainingKernel : IDisposable
{
    /// <summary>log q(θ_i | context_i) for θ (B, D) and the embedded context (B, C); keeps what <see cref="Backward"/> needs.</summary>
    Tensor LogProb(Tensor theta, Tensor context);

    /// <summary>Overwrites every parameter's gradient with ∂(Σ_i c_i log q_i)/∂w for the batch of the last <see cref="LogProb"/>.</summary>
    void Backward(Tensor coefficients);
}
