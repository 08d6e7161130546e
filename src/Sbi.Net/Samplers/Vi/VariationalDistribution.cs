using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// q(θ | x) in the prior's space: a conditional density q(z | x) in the unconstrained space z = T(θ) (T the prior's
/// θ transform, sbi's <c>link_transform.inv</c>) pushed through T⁻¹, so that every sample lies in the prior's support
/// and needs no rejection: log q(θ | x) = log q(z | x) + log |det ∂z/∂θ|. sbi's <c>TransformedZukoFlow</c> and
/// <c>LearnableGaussian</c> with a link transform (sbi/samplers/vi/vi_utils.py).
/// <para>
/// Architecture against sbi: sbi's single-observation q is an unconditional zuko flow; here q is one of Sbi.Net's
/// conditional estimators (nflows-style MAF or NSF, or <see cref="GaussianQ"/>), conditioned on x through its x
/// pipeline. For a single observation that pipeline standardises with x_o itself (mean x_o, std 1), so the context is
/// exactly 0 at x_o and q is unconditional in effect; trained amortised it is the conditional flow q(θ | x). Sbi.Net's
/// MAF layers are nflows' (MADE with tanh, softplus scale + 10⁻³); zuko's MAF uses ReLU MADEs with 5 hidden layers and
/// another scale map, and the NSF is nflows' coupling spline; none of this changes what is fitted, only how flexibly.
/// </para>
/// <para>
/// Orientation (<see cref="InverseAutoregressive"/>): a flow is fast in its density direction (one pass per layer) and, for
/// an autoregressive layer, slow in the other (D sequential passes). sbi's zuko MAF samples the slow way. Where q is
/// trained through its samples (rKL, IW, alpha and amortised VI), a MAF q is used as an inverse autoregressive flow
/// (IAF, Kingma et al. 2016): the same MAF module, its forward map sending base noise to z, so a reparameterised sample
/// costs one pass per layer and log q of a sample is known from the pass, while log q at a given z (fKL's gradient,
/// <see cref="LogProb"/>) takes the D passes instead. fKL trains the MAF the usual way round. Both are the same family of
/// densities (the inverse of an autoregressive bijection is autoregressive).
/// </para>
/// </summary>
public sealed class VariationalDistribution
{
    /// <summary>
    /// q(z | x) in the unconstrained space, the map <paramref name="transform"/> from θ to z, and whether q's flow is used as
    /// an inverse autoregressive flow (its forward map from noise to z; a flow estimator only).
    /// </summary>
    public VariationalDistribution(ConditionalDensityEstimator q, IBijector transform, bool inverseAutoregressive = false)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(transform);
        VariationalFamilies.RequireReparameterisable(q, q.Config.Estimator);
        if (inverseAutoregressive && q is not FlowEstimator)
            throw new ArgumentException($"only a flow can be used as an inverse autoregressive flow; q is a {q.GetType().Name}.", nameof(inverseAutoregressive));
        Q = q;
        Transform = transform;
        InverseAutoregressive = inverseAutoregressive;
    }

    /// <summary>q(z | x), the trained estimator in the unconstrained space.</summary>
    public ConditionalDensityEstimator Q { get; }

    /// <summary>T: θ ↦ z.</summary>
    public IBijector Transform { get; }

    /// <summary>Whether q's flow maps noise to z by its forward (density-direction) map: an IAF.</summary>
    public bool InverseAutoregressive { get; }

    /// <summary>θ dimension D.</summary>
    public int Dim => Q.InputDim;

    /// <summary>
    /// Reparameterised samples for each condition x (B, *x_shape): θ (S, B, D), z = T(θ) (S, B, D) and log q(θ | x)
    /// (S, B). Differentiable in q's parameters where gradients are enabled (sbi's <c>sample_and_log_prob</c>).
    /// </summary>
    public (Tensor Theta, Tensor Z, Tensor LogProb) RSampleAndLogProb(long numSamples, Tensor x)
    {
        Guard.Positive(numSamples, nameof(numSamples));
        var (z, logQz) = SampleZWithLogProb(numSamples, x);
        var theta = Transform.Inverse(z.reshape(-1, Dim));
        var logDet = Transform.LogAbsDetJacobian(theta, z.reshape(-1, Dim)).view(z.shape[0], z.shape[1]);
        return (theta.view(z.shape), z, logQz.Plus(logDet));
    }

    /// <summary>Samples θ (S, B, D) for each condition x (B, *x_shape) without gradients.</summary>
    public Tensor Sample(long numSamples, Tensor x)
    {
        Guard.Positive(numSamples, nameof(numSamples));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var z = SampleZ(numSamples, x);
        return Transform.Inverse(z.reshape(-1, Dim)).view(z.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Samples z (S, B, D) of q(z | x) without gradients (an IAF's forward pass, or the family's sampler).</summary>
    public Tensor SampleZ(long numSamples, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var z = InverseAutoregressive ? SampleZWithLogProb(numSamples, x).Z : Q.Sample(numSamples, x);
        return z.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// log q(θ | x) for rows θ (N, D) and conditions x (N or 1, *x_shape), paired or with x broadcast; returns (N). Not
    /// masked by the support (the caller masks): T clamps θ on the box's faces to finite z.
    /// </summary>
    public Tensor LogProb(Tensor theta, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(x);
        var z = Transform.Forward(theta);
        return LogProbZ(z, x).Plus(Transform.LogAbsDetJacobian(theta, z));
    }

    /// <summary>log q(z | x) for rows z (N, D) and conditions x (N or 1, *x_shape); returns (N).</summary>
    public Tensor LogProbZ(Tensor z, Tensor x)
    {
        var cond = x.shape[0] == z.shape[0] ? x : x.expand(new[] { z.shape[0] }.Concat(x.shape[1..]).ToArray());
        if (!InverseAutoregressive) return Q.LogProbPaired(z, cond);
        // IAF: noise = F⁻¹(z) by the D-pass inverse, log q(z) = log N(noise) + log |det ∂F⁻¹/∂z|.
        var flow = ((FlowEstimator)Q).Net;
        var context = flow.Embed(cond);
        var (noise, logDet) = is_grad_enabled() ? PrunedMafInverse.TryInverse(flow.Transform, z, context) ?? flow.Transform.Inverse(z, context)
                                                : flow.Transform.Inverse(z, context);
        var lp = flow.Distribution.LogProb(noise, context);
        return logDet is null ? lp : lp.Plus(logDet);
    }

    /// <summary>log |det ∂z/∂θ| for rows θ (N, D) and z = T(θ): what turns q(z | x) into q(θ | x).</summary>
    public Tensor LogAbsDetJacobian(Tensor theta, Tensor z) => Transform.LogAbsDetJacobian(theta, z);

    /// <summary>Reparameterised z (S, B, D) and log q(z | x) (S, B): from base noise through the flow (either way round), or the Gaussian's affine map.</summary>
    private (Tensor Z, Tensor LogQ) SampleZWithLogProb(long numSamples, Tensor x)
    {
        if (Q is GaussianQ g) return g.SampleAndLogProb(numSamples, x);
        var flow = ((FlowEstimator)Q).Net;
        long b = x.shape[0];
        var context = flow.Embed(x);
        // The base draws float32 noise; a float64 copy of q (a reference evaluation) maps the same values in float64.
        var noise = flow.Distribution.Sample(numSamples, context).to(context.dtype);   // (B·S, D), condition-major
        var rows = context.repeat_interleave(numSamples, dim: 0);
        Tensor z, logQ;
        if (InverseAutoregressive)
        {
            var (forward, logDet) = flow.Transform.Forward(noise, rows);         // one pass per layer
            z = forward;
            logQ = flow.Distribution.LogProb(noise, null);
            if (logDet is not null) logQ = logQ - logDet;
        }
        else
        {
            var (inverse, logDet) = PrunedMafInverse.TryInverse(flow.Transform, noise, rows) ?? flow.Transform.Inverse(noise, rows);
            z = inverse;
            logQ = flow.Distribution.LogProb(noise, null);
            if (logDet is not null) logQ = logQ - logDet;                       // nflows' sample_and_log_prob
        }
        return (z.view(b, numSamples, Dim).transpose(0, 1), logQ.view(b, numSamples).t());
    }
}
