using Sbi.Utils;
using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// nflows' <c>Flow</c>: <c>_transform</c> maps θ to noise, <c>_distribution</c> is the base density and
/// <c>_embedding_net</c> embeds x (z-scoring included). log q(θ|x) = log p(z) + log|det J|.
/// </summary>
public sealed class Flow : nn.Module
{
    private readonly Transform _transform;
    private readonly BaseDistribution _distribution;
    private readonly nn.Module<Tensor, Tensor> _embedding_net;

    /// <summary>Assembles the flow.</summary>
    public Flow(Transform transform, BaseDistribution distribution, nn.Module<Tensor, Tensor> embeddingNet) : base(nameof(Flow))
    {
        _transform = transform;
        _distribution = distribution;
        _embedding_net = embeddingNet;
        register_module("_transform", _transform);
        register_module("_distribution", _distribution);
        register_module("_embedding_net", _embedding_net);
    }

    /// <summary>θ → noise transform.</summary>
    public Transform Transform => _transform;

    /// <summary>Base distribution.</summary>
    public BaseDistribution Distribution => _distribution;

    /// <summary>x embedding (z-scoring + user embedding).</summary>
    public nn.Module<Tensor, Tensor> EmbeddingNet => _embedding_net;

    /// <summary>Embeds x (N, *x_shape) into the context (N, C).</summary>
    public Tensor Embed(Tensor x) => _embedding_net.forward(x);

    /// <summary>log q(θ | x) for paired rows θ (N, D), embedded context (N, C).</summary>
    public Tensor LogProbEmbedded(Tensor theta, Tensor context)
    {
        var (noise, logabsdet) = _transform.Forward(theta, context);
        var lp = _distribution.LogProb(noise, context);
        return logabsdet is null ? lp : lp.Plus(logabsdet);
    }

    /// <summary>Maps base noise (B, S, D) to samples (B, S, D) given x (B, *x_shape), nflows' order (context repeated per row).</summary>
    public Tensor SampleFromNoise(Tensor noise, Tensor x)
    {
        long b = noise.shape[0], s = noise.shape[1];
        var ctx = Embed(x);
        return InverseTransform(noise.reshape(b * s, -1), ctx, s).view(b, s, -1);
    }

    /// <summary>Draws S samples for each of the B conditions: (B, S, D), drawing the noise as nflows does.</summary>
    public Tensor Sample(long numSamples, Tensor x)
    {
        var ctx = Embed(x);
        var noise = _distribution.Sample(numSamples, ctx);
        return InverseTransform(noise, ctx, numSamples).view(x.shape[0], numSamples, -1);
    }

    /// <summary>
    /// The family's faster inverse for sampling without gradients (the MAF family sets its fused CPU sampler), or null.
    /// Same maths as the transforms, float rounding apart.
    /// </summary>
    public IFlowInverseKernel? InverseKernel { get; set; }

    /// <summary>When true (default), sampling without gradients uses <see cref="InverseKernel"/> where one is set.</summary>
    public bool UseFusedSampler { get; set; } = true;

    /// <summary>Noise rows (B·S, D) → samples, row r conditioned on context r / S (nflows' repeat_interleave order).</summary>
    private Tensor InverseTransform(Tensor noise, Tensor context, long perCondition)
    {
        if (UseFusedSampler && InverseKernel is not null && !is_grad_enabled() && InverseKernel.TryInverse(this, noise, context) is { } fast)
            return fast;
        var (samples, _) = _transform.Inverse(noise, context.repeat_interleave(perCondition, dim: 0));
        return samples;
    }
}
