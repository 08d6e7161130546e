using Sbi.Utils;
using Sbi.Nn;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// sbi's <c>MixtureDensityEstimator</c> around a <see cref="MultivariateGaussianMdn"/> (<c>net</c>). θ is z-scored with
/// buffers <c>_transform_shift</c> = μ and <c>_transform_scale</c> = σ stored directly (present only when θ is z-scored);
/// x goes through <c>_embedding_net</c> (z-scoring as <c>_embedding_net.0._mean/_std</c>). Note: no <c>net.</c> prefix on
/// the buffers and the embedding, unlike the flows.
/// </summary>
public sealed class MdnEstimator : ConditionalDensityEstimator
{
    private readonly MultivariateGaussianMdn net;
    private readonly nn.Module<Tensor, Tensor> _embedding_net;
    private Tensor? _transform_shift;
    private Tensor? _transform_scale;

    /// <summary>Wraps the network; <paramref name="shift"/>/<paramref name="scale"/> are μ and σ of θ (null: no z-scoring).</summary>
    public MdnEstimator(MultivariateGaussianMdn mdn, nn.Module<Tensor, Tensor> embeddingNet, Tensor? shift, Tensor? scale, EstimatorConfig config)
        : base(nameof(MdnEstimator), config)
    {
        if ((shift is null) != (scale is null)) throw new ArgumentException("give both shift and scale, or neither.");
        net = mdn;
        _embedding_net = embeddingNet;
        register_module("net", net);
        register_module("_embedding_net", _embedding_net);
        if (shift is not null && scale is not null)
        {
            using (no_grad())
                if (!scale.gt(Scalars.Of(0)).all().item<bool>()) throw new ArgumentException("the θ scale must be strictly positive.", nameof(scale));
            _transform_shift = shift.detach().clone().DetachFromDisposeScope();
            _transform_scale = scale.detach().clone().DetachFromDisposeScope();
            register_buffer("_transform_shift", _transform_shift);
            register_buffer("_transform_scale", _transform_scale);
        }
    }

    /// <summary>The θ z-scoring buffers (μ, σ), null when θ is not z-scored.</summary>
    internal (Tensor Shift, Tensor Scale)? ThetaStandardization
        => _transform_shift is null || _transform_scale is null ? null : (_transform_shift, _transform_scale);

    /// <summary>The mixture density network.</summary>
    public MultivariateGaussianMdn Net => net;

    /// <summary>The x pipeline (z-scoring + user embedding).</summary>
    public nn.Module<Tensor, Tensor> EmbeddingNet => _embedding_net;

    /// <summary>The mixture (logits, means, precision factors) in z-scored θ units for conditions x (B, *x_shape).</summary>
    public (Tensor Logits, Tensor Means, Tensor PrecisionFactors) Mixture(Tensor x) => net.Components(_embedding_net.forward(x));

    /// <inheritdoc/>
    public override Tensor Embed(Tensor x) => _embedding_net.forward(x);

    /// <inheritdoc/>
    public override Tensor LogProbPaired(Tensor theta, Tensor x)
    {
        var context = _embedding_net.forward(x);
        if (_transform_shift is null || _transform_scale is null) return net.LogProb(theta, context);
        var z = (theta - _transform_shift) / _transform_scale;
        // sbi subtracts Σ log of the stored scale entries: with "structured" z-scoring (a 0-dim σ) that is log σ once,
        // not D·log σ; kept as sbi has it.
        return net.LogProb(z, context) - _transform_scale.log().sum();
    }

    /// <inheritdoc/>
    public override Tensor Sample(long numSamples, Tensor x)
    {
        var z = net.Sample(numSamples, _embedding_net.forward(x));
        return _transform_shift is null || _transform_scale is null ? z : (z * _transform_scale).Plus(_transform_shift);
    }
}
