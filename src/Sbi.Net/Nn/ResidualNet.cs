using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// nflows' <c>ResidualNet</c> with context (NSF's spline conditioner for D &gt; 1): h = W_in [inputs ; context] + b_in,
/// then <c>num_blocks</c> <see cref="ResidualBlock"/>s, then a final linear layer. Keys: <c>initial_layer</c>,
/// <c>blocks.{b}.*</c>, <c>final_layer</c>.
/// </summary>
public sealed class ResidualNet : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear initial_layer;
    private readonly ModuleList<ResidualBlock> blocks;
    private readonly Linear final_layer;

    /// <summary>Creates the net (C = 0: no context).</summary>
    public ResidualNet(int inFeatures, int outFeatures, int hiddenFeatures, int contextFeatures, int numBlocks,
                       Func<Tensor, Tensor> activation, double dropoutProbability = 0.0)
        : base(nameof(ResidualNet))
    {
        HiddenFeatures = hiddenFeatures;
        ContextFeatures = contextFeatures;
        initial_layer = nn.Linear(inFeatures + contextFeatures, hiddenFeatures);
        register_module("initial_layer", initial_layer);
        blocks = new ModuleList<ResidualBlock>(Enumerable.Range(0, numBlocks)
            .Select(_ => new ResidualBlock(hiddenFeatures, contextFeatures, activation, dropoutProbability)).ToArray());
        register_module("blocks", blocks);
        final_layer = nn.Linear(hiddenFeatures, outFeatures);
        register_module("final_layer", final_layer);
    }

    /// <summary>True when built with ReLU by <c>NsfFactory</c> (sbi's NSF), which the fused CPU kernel implements.</summary>
    internal bool ActivationIsRelu { get; init; }

    /// <summary>The initial, block and final layers (the fused NSF kernel reads their weights).</summary>
    internal (Linear Initial, IReadOnlyList<ResidualBlock> Blocks, Linear Final) Layers => (initial_layer, blocks.ToList(), final_layer);

    /// <summary>Hidden width (nflows scales the spline widths/heights by its square root).</summary>
    public int HiddenFeatures { get; }

    /// <summary>Number of context features (0: none).</summary>
    public int ContextFeatures { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputs, Tensor? context)
    {
        bool gated = context is not null && ContextFeatures > 0;
        var temps = initial_layer.forward(gated ? cat(new[] { inputs, context! }, 1) : inputs);
        // The blocks' gates depend on the context only: one product with the blocks' context weights side by side
        // (each output is the same dot product as in its own layer) and one sigmoid instead of one of each per block.
        Tensor[]? gates = null;
        if (gated && blocks.Count > 1)
        {
            var layers = blocks.Select(b => b.ContextLayer!).ToArray();
            gates = sigmoid(nn.functional.linear(context!, cat(layers.Select(l => l.weight!).ToArray(), 0),
                cat(layers.Select(l => l.bias!).ToArray(), 0))).chunk(blocks.Count, 1);
        }
        for (int i = 0; i < blocks.Count; i++)
            temps = gates is not null ? blocks[i].Forward(temps, gates[i]) : blocks[i].forward(temps, gated ? context : null);
        return final_layer.forward(temps);
    }
}
