using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// nflows' <c>MaskedResidualBlock</c> (<c>nn/nde/made.py</c>) without batch norm: t = L0(act(h)) + W_c c + b_c;
/// t = L1(dropout(act(t))); returns h + t. L0 and L1 are hidden-rule masked layers (out degree ≥ in degree); the second
/// starts near zero (uniform ±1e-3). Keys: <c>context_layer</c>, <c>linear_layers.{0,1}</c>.
/// </summary>
public sealed class MaskedResidualBlock : nn.Module
{
    private readonly Linear? context_layer;
    private readonly ModuleList<MaskedLinear> linear_layers;
    private readonly Func<Tensor, Tensor> _activation;
    private readonly double _dropout;

    /// <summary>Creates the block after a layer with degrees <paramref name="inDegrees"/> (C = 0: no context).</summary>
    public MaskedResidualBlock(Tensor inDegrees, int autoregressiveFeatures, int contextFeatures,
                               Func<Tensor, Tensor> activation, double dropoutProbability = 0.0)
        : base(nameof(MaskedResidualBlock))
    {
        int features = (int)inDegrees.shape[0];
        if (contextFeatures > 0)
        {
            context_layer = nn.Linear(contextFeatures, features);
            register_module("context_layer", context_layer);
        }
        var l0 = new MaskedLinear(inDegrees, features, autoregressiveFeatures, isOutput: false);
        var l1 = new MaskedLinear(l0.Degrees, features, autoregressiveFeatures, isOutput: false);
        linear_layers = new ModuleList<MaskedLinear>(l0, l1);
        register_module("linear_layers", linear_layers);
        using (var ok = l1.Degrees.ge(inDegrees).all())
            if (!ok.item<bool>())
                throw new InvalidOperationException("In a masked residual block, the output degrees can't be less than the corresponding input degrees.");
        _activation = activation;
        _dropout = dropoutProbability;
        using (no_grad())
        {
            nn.init.uniform_(l1.Weight, -EstimatorConstants.ResidualInitRange, EstimatorConstants.ResidualInitRange);
            nn.init.uniform_(l1.Bias, -EstimatorConstants.ResidualInitRange, EstimatorConstants.ResidualInitRange);
        }
    }

    /// <summary>The context layer (null without context).</summary>
    internal Linear? ContextLayer => context_layer;

    /// <summary>Dropout probability (0: none).</summary>
    internal double DropoutProbability => _dropout;

    /// <summary>Output degrees (those of the second masked layer).</summary>
    public Tensor Degrees => linear_layers[1].Degrees;

    /// <summary>The two masked layers.</summary>
    public IReadOnlyList<MaskedLinear> LinearLayers => linear_layers.ToList();

    /// <summary>W_c c + b_c (null without context); it does not depend on the inputs, so samplers compute it once.</summary>
    public Tensor? ContextTerm(Tensor? context) => context is null || context_layer is null ? null : context_layer.forward(context);

    /// <summary>Evaluates the block given its precomputed <see cref="ContextTerm"/>.</summary>
    public Tensor Forward(Tensor inputs, Tensor? contextTerm)
    {
        var t = linear_layers[0].forward(_activation(inputs));
        if (contextTerm is not null) t = t.Plus(contextTerm);
        t = _activation(t);
        if (_dropout > 0) t = nn.functional.dropout(t, _dropout, training);
        return inputs.Plus(linear_layers[1].forward(t));
    }
}
