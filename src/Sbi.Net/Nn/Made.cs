using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// nflows' <c>MADE</c> as sbi's MAF uses it (plain masked feed-forward blocks, no residuals): the context enters
/// once, unmasked, through its own activation added before the first hidden activation.
/// Keys: <c>initial_layer</c>, <c>context_layer</c>, <c>blocks.{b}.linear</c>, <c>final_layer</c>.
/// </summary>
public sealed class Made : nn.Module
{
    private readonly MaskedLinear initial_layer;
    private readonly Linear? context_layer;
    private readonly ModuleList<MaskedFeedforwardBlock> blocks;
    private readonly MaskedLinear final_layer;
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>Builds the MADE with D features, H hidden units, C context features and 2-D outputs times the multiplier.</summary>
    public Made(int features, int hiddenFeatures, int contextFeatures, int numBlocks, int outputMultiplier,
                Func<Tensor, Tensor> activation, double dropoutProbability = 0.0) : base(nameof(Made))
    {
        Features = features;
        _activation = activation;
        using var inDeg = tensor(MadeDegrees.Input(features));
        initial_layer = new MaskedLinear(inDeg, hiddenFeatures, features, isOutput: false);
        register_module("initial_layer", initial_layer);
        if (contextFeatures > 0)
        {
            context_layer = nn.Linear(contextFeatures, hiddenFeatures);
            register_module("context_layer", context_layer);
        }
        var list = new List<MaskedFeedforwardBlock>();
        var prev = initial_layer.Degrees;
        for (int b = 0; b < numBlocks; b++)
        {
            var block = new MaskedFeedforwardBlock(prev, features, activation, dropoutProbability);
            list.Add(block);
            prev = block.Degrees;
        }
        blocks = new ModuleList<MaskedFeedforwardBlock>(list.ToArray());
        register_module("blocks", blocks);
        final_layer = new MaskedLinear(prev, features * outputMultiplier, features, isOutput: true);
        register_module("final_layer", final_layer);
    }

    /// <summary>The unmasked context layer (null without context).</summary>
    internal Linear? ContextLayer => context_layer;

    /// <summary>The masked feed-forward blocks.</summary>
    internal IReadOnlyList<MaskedFeedforwardBlock> Blocks => blocks.ToList();

    /// <summary>True when the activation is <c>torch.tanh</c> (sbi's MAF), which the fused CPU kernel implements.</summary>
    internal bool ActivationIsTanh => _activation.Method == ((Func<Tensor, Tensor>)tanh).Method;

    /// <summary>Number of autoregressive features D.</summary>
    public int Features { get; }

    /// <summary>The context's contribution activation(W_c c + b_c), computed once and reused across the D inverse passes.</summary>
    public Tensor? ContextTerm(Tensor? context)
        => context is null || context_layer is null ? null : _activation(context_layer.forward(context));

    /// <summary>Evaluates the network given a precomputed <see cref="ContextTerm"/>.</summary>
    public Tensor Forward(Tensor inputs, Tensor? contextTerm)
    {
        var temps = initial_layer.forward(inputs);
        if (contextTerm is not null) temps = temps.Plus(contextTerm);
        temps = _activation(temps);
        foreach (var block in blocks) temps = block.forward(temps);
        return final_layer.forward(temps);
    }

    /// <summary>A degree-pruned inverter for sampling with the current weights (no gradients).</summary>
    internal MadeInverse CreateInverse()
    {
        using var _ = no_grad();
        var layers = MaskedLayers.Select(l => (l.Weight * l.Mask, (Tensor)l.Bias)).ToList();
        (Tensor, Tensor)? ctx = context_layer is null ? null : (context_layer.weight!, context_layer.bias!);
        var inverse = new MadeInverse(this, layers, ctx, _activation);
        foreach (var (w, _) in layers) w.Dispose();
        return inverse;
    }

    /// <summary>The masked layers in order (initial, blocks, final), for tests and exporters.</summary>
    public IEnumerable<MaskedLinear> MaskedLayers
        => new[] { initial_layer }.Concat(blocks.Select(b => b.Linear)).Append(final_layer);
}
