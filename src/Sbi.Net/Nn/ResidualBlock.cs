using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// nflows' <c>ResidualBlock</c> (<c>nn/nets/resnet.py</c>) without batch norm: t = L1(dropout(act(L0(act(h))))),
/// gated by the block's context as t · sigmoid(W_c c + b_c) (nflows' GLU), and h + t is returned.
/// Keys: <c>context_layer</c>, <c>linear_layers.{0,1}</c>. The second layer starts near zero (uniform ±1e-3).
/// </summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear? context_layer;
    private readonly ModuleList<Linear> linear_layers;
    private readonly Func<Tensor, Tensor> _activation;
    private readonly double _dropout;

    /// <summary>Creates the block for <paramref name="features"/> units and C context features (0: no context).</summary>
    public ResidualBlock(int features, int contextFeatures, Func<Tensor, Tensor> activation, double dropoutProbability = 0.0)
        : base(nameof(ResidualBlock))
    {
        _activation = activation;
        _dropout = dropoutProbability;
        // Creation order as in nflows (context layer, then the two linear layers, then the re-initialisation).
        if (contextFeatures > 0)
        {
            context_layer = nn.Linear(contextFeatures, features);
            register_module("context_layer", context_layer);
        }
        linear_layers = new ModuleList<Linear>(nn.Linear(features, features), nn.Linear(features, features));
        register_module("linear_layers", linear_layers);
        using (no_grad())
        {
            nn.init.uniform_(linear_layers[1].weight!, -EstimatorConstants.ResidualInitRange, EstimatorConstants.ResidualInitRange);
            nn.init.uniform_(linear_layers[1].bias!, -EstimatorConstants.ResidualInitRange, EstimatorConstants.ResidualInitRange);
        }
    }

    /// <summary>The two linear layers (the fused NSF kernel reads their weights).</summary>
    internal (Linear First, Linear Second) LinearLayers => (linear_layers[0], linear_layers[1]);

    /// <summary>Dropout probability between the two linear layers (0: none).</summary>
    internal double DropoutProbability => _dropout;

    /// <summary>The context layer (null without context), for nets that evaluate the gates of all their blocks at once.</summary>
    internal Linear? ContextLayer => context_layer;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputs, Tensor? context)
        => Forward(inputs, context is null || context_layer is null ? null : sigmoid(context_layer.forward(context)));

    /// <summary>The block given its precomputed gate sigmoid(W_c c + b_c) (null: no gating).</summary>
    internal Tensor Forward(Tensor inputs, Tensor? gate)
    {
        var t = linear_layers[0].forward(_activation(inputs));
        t = _activation(t);
        if (_dropout > 0) t = nn.functional.dropout(t, _dropout, training);
        t = linear_layers[1].forward(t);
        if (gate is not null) t = t * gate;   // F.glu(cat(t, ctx)) without building the concatenation
        return inputs.Plus(t);
    }
}
