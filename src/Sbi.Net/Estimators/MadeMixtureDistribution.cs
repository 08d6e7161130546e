using Sbi.Utils;
using Sbi.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// sbi's <c>MADEMoGWrapper</c>: the base distribution of the <c>made</c> estimator, an autoregressive mixture of
/// Gaussians (<see cref="MixtureOfGaussiansMade"/>, key <c>_made</c>) over D + 1 inputs, the first a dummy fixed to 0
/// so that the first real feature is conditioned on x as well.
/// log p(z | c) = Σ_i logsumexp_k [log_softmax(logit_ik) − ½(log 2π + 2 log σ_ik + ((z_i − μ_ik)/σ_ik)²)] with the
/// dummy at 0 and its outputs dropped.
/// Sampling reproduces sbi (nflows' <c>MixtureOfGaussiansMADE.sample</c>): the dummy coordinate is drawn from its own
/// mixture (output-layer biases only, untouched by training) and the real coordinates are conditioned on that random
/// value, so sbi's samples do not follow the density that <see cref="LogProb"/> evaluates: the dummy's initial-layer
/// weights never receive a gradient (the dummy is 0 in training) and a random dummy shifts the hidden units by O(1), which
/// broadens the samples (20–30 % larger variances in the parity files, far more for narrow posteriors). Set
/// <see cref="FixDummyWhenSampling"/> to sample the density itself.
/// </summary>
public sealed class MadeMixtureDistribution : BaseDistribution
{
    private readonly MixtureOfGaussiansMade _made;
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <summary>Creates the distribution over D features given C context features, with sbi's MADE settings.</summary>
    public MadeMixtureDistribution(int features, int hiddenFeatures, int contextFeatures, int numBlocks, int numComponents,
                               double dropoutProbability = 0.0)
        : base(nameof(MadeMixtureDistribution))
    {
        Features = features;
        _made = new MixtureOfGaussiansMade(features + 1, hiddenFeatures, contextFeatures, numBlocks, numComponents,
            t => nn.functional.relu(t), dropoutProbability, epsilon: EstimatorConstants.MadeMixtureEpsilon, customInitialization: true);
        register_module("_made", _made);
    }

    /// <summary>Dimension D (without the dummy).</summary>
    public int Features { get; }

    /// <summary>The MADE network (over D + 1 inputs).</summary>
    public MixtureOfGaussiansMade Made => _made;

    /// <summary>
    /// False (default): sample as sbi does, drawing the dummy coordinate from its mixture. True: keep the dummy at 0,
    /// which samples exactly the density <see cref="LogProb"/> evaluates.
    /// </summary>
    public bool FixDummyWhenSampling { get; set; }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor z, Tensor? context)
    {
        long n = z.shape[0];
        int d = Features, k = _made.NumComponents;
        var inputs = nn.functional.pad(z, (1L, 0L));   // dummy input 0 in front
        var outputs = _made.Forward(inputs, context).view(n, d + 1, k, 3).narrow(1, 1, d).unbind(-1);
        Tensor logits = outputs[0], means = outputs[1], stds = Scalars.Softplus(outputs[2]).Plus(Scalars.Of(_made.Epsilon));
        var terms = nn.functional.log_softmax(logits, -1)
                    - Scalars.Of(0.5) * (Scalars.Of(2) * stds.log()).Plus(Scalars.Of(Log2Pi)).Plus(((z.unsqueeze(-1) - means) / stds).Squared());
        return terms.logsumexp(-1).sum(-1);
    }

    /// <inheritdoc/>
    public override Tensor Sample(long numSamples, Tensor context)
    {
        using var _ = no_grad();
        int f = Features + 1, k = _made.NumComponents;
        var repeated = context.repeat_interleave(numSamples, dim: 0);
        long n = repeated.shape[0];
        var terms = _made.ContextTerms(repeated);   // the context's contributions do not change between the passes
        var samples = zeros(new[] { n, (long)f }, dtype: repeated.dtype, device: repeated.device);
        for (int feature = FixDummyWhenSampling ? 1 : 0; feature < f; feature++)
        {
            using var scope = NewDisposeScope();
            var outputs = _made.Forward(samples, terms).view(n, f, k, 3).select(1, feature).unbind(-1);
            var probs = softmax(outputs[0], -1);
            var stds = Scalars.Softplus(outputs[2]).Plus(Scalars.Of(_made.Epsilon));
            var component = probs.multinomial(1, replacement: true);
            var mean = outputs[1].gather(1, component).view(n);
            var std = stds.gather(1, component).view(n);
            samples.select(1, feature).copy_(mean.Plus(randn(n, dtype: mean.dtype, device: mean.device) * std));
        }
        return samples.narrow(1, 1, Features).contiguous();
    }
}
