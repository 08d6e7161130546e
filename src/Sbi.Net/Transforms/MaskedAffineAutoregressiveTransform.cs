using Sbi.Utils;
using Sbi.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// nflows' <c>MaskedAffineAutoregressiveTransform</c> (sbi's MAF layer): the MADE outputs are interleaved per
/// feature, 2i = unconstrained scale u_i and 2i+1 = shift t_i; scale = softplus(u) + 1e-3 (nflows 0.11–0.14;
/// not the commented-out sigmoid variant). Key: <c>autoregressive_net</c>.
/// </summary>
public sealed class MaskedAffineAutoregressiveTransform : Transform
{
    private readonly Made autoregressive_net;

    /// <summary>Creates the layer for D features, H hidden units and C context features.</summary>
    public MaskedAffineAutoregressiveTransform(int features, int hiddenFeatures, int contextFeatures, int numBlocks,
                                               Func<Tensor, Tensor> activation, double dropoutProbability = 0.0)
        : base(nameof(MaskedAffineAutoregressiveTransform))
    {
        autoregressive_net = new Made(features, hiddenFeatures, contextFeatures, numBlocks, 2, activation, dropoutProbability);
        register_module("autoregressive_net", autoregressive_net);
    }

    /// <summary>The MADE conditioner.</summary>
    public Made AutoregressiveNet => autoregressive_net;

    private (Tensor Scale, Tensor Shift) ScaleAndShift(Tensor inputs, Tensor? contextTerm)
    {
        var p = autoregressive_net.Forward(inputs, contextTerm).view(-1, autoregressive_net.Features, 2);
        var u = p.select(2, 0);
        var shift = p.select(2, 1);
        return (Scalars.Softplus(u).Plus(Scalars.Of(EstimatorConstants.MafMinScale)), shift);
    }

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null)
    {
        var (scale, shift) = ScaleAndShift(inputs, autoregressive_net.ContextTerm(context));
        return ((scale * inputs).Plus(shift), scale.log().sum(-1));
    }

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null)
    {
        if (!is_grad_enabled())
        {
            // Sampling: the degree-pruned passes do about a third of the work (see MadeInverse).
            using var inverse = autoregressive_net.CreateInverse();
            return inverse.Invert(inputs, context);
        }
        // D sequential passes, as nflows does; the context term does not depend on the outputs, so it is computed once.
        var ctx = autoregressive_net.ContextTerm(context);
        var outputs = zeros_like(inputs);
        Tensor scale = null!;
        for (int i = 0; i < autoregressive_net.Features; i++)
        {
            var (s, shift) = ScaleAndShift(outputs, ctx);
            scale = s;
            outputs = (inputs - shift) / s;
        }
        return (outputs, -scale.log().sum(-1));
    }
}
