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

    /// <summary>Hidden width (nflows scales the spline widths/heights by its square root).</summary>
    public int HiddenFeatures { get; }

    /// <summary>Number of context features (0: none).</summary>
    public int ContextFeatures { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputs, Tensor? context)
    {
        var temps = initial_layer.forward(context is null || ContextFeatures == 0 ? inputs : cat(new[] { inputs, context }, 1));
        foreach (var block in blocks) temps = block.forward(temps, ContextFeatures == 0 ? null : context);
        return final_layer.forward(temps);
    }
}
