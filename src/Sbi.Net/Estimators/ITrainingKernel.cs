using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// A hand-fused CPU forward/backward pass of one estimator family for training: log q for a batch, then the
/// gradients of L = Σ_i c_i log q_i written into the parameters' gradient buffers. Losses that are functions of the
/// log-probs only (round 0, NPE-B, calibration kernels) get c from autograd on a leaf.
/// </summary>
internal interface IFusedTrainingKernel : IDisposable
{
    /// <summary>log q(θ_i | context_i) for θ (B, D) and the embedded context (B, C); keeps what <see cref="Backward"/> needs.</summary>
    Tensor LogProb(Tensor theta, Tensor context);

    /// <summary>Overwrites every parameter's gradient with ∂(Σ_i c_i log q_i)/∂w for the batch of the last <see cref="LogProb"/>.</summary>
    void Backward(Tensor coefficients);
}

/// <summary>Picks the fused training kernel for an estimator, if one applies.</summary>
internal static class FusedTrainingKernels
{
    /// <summary>The embedded context (B, C) a kernel takes: x through the estimator's embedding pipeline (z-scoring included).</summary>
    public static Tensor Embed(ConditionalDensityEstimator estimator, Tensor x) => estimator switch
    {
        FlowEstimator flow => flow.Net.Embed(x),
        MdnEstimator mdn => mdn.EmbeddingNet.forward(x),
        _ => throw new ArgumentException($"no fused kernel embeds x for {estimator.GetType().Name}.", nameof(estimator)),
    };

    /// <summary>A kernel bound to the estimator's parameters and gradient buffers, or null with the reason.</summary>
    public static IFusedTrainingKernel? TryCreate(ConditionalDensityEstimator estimator, out string reason)
    {
        var maf = MafKernel.TryCreate(estimator, out var mafReason);
        if (maf is not null) { reason = ""; return maf; }
        var nsf = NsfKernel.TryCreate(estimator, out var nsfReason);
        if (nsf is not null) { reason = ""; return nsf; }
        var made = MadeMogKernel.TryCreate(estimator, out var madeReason);
        if (made is not null) { reason = ""; return made; }
        var mdn = MdnKernel.TryCreate(estimator, out var mdnReason);
        if (mdn is not null) { reason = ""; return mdn; }
        reason = $"not MAF: {mafReason}; not NSF: {nsfReason}; not MADE: {madeReason}; not MDN: {mdnReason}";
        return null;
    }
}
