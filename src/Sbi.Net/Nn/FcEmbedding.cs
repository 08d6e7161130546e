using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// sbi's <c>FCEmbedding</c> (sbi 0.27 defaults): a fully connected embedding net for x,
/// Linear(input, hidden), [LayerNorm], ReLU, then (num_layers − 2) × [Linear(hidden, hidden), [LayerNorm], ReLU], then
/// Linear(hidden, output), ReLU. Without layer norm sbi puts an <c>Identity</c> in that slot, so the keys are
/// <c>net.0.*</c>, <c>net.3.*</c>, … as in sbi. Use it through <c>DensityEstimatorOptions.EmbeddingNet</c>, e.g.
/// <c>EmbeddingNet = () =&gt; new FcEmbedding(xDim, 10)</c>.
/// </summary>
public sealed class FcEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Sequential net;

    /// <summary>Creates the net (sbi defaults: output 20, 2 layers, 50 hidden units, no layer norm).</summary>
    public FcEmbedding(int inputDim, int outputDim = 20, int numLayers = 2, int numHiddens = 50, bool enableLayerNorm = false)
        : base(nameof(FcEmbedding))
    {
        if (inputDim < 1) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "inputDim must be at least 1.");
        if (outputDim < 1) throw new ArgumentOutOfRangeException(nameof(outputDim), outputDim, "outputDim must be at least 1.");
        if (numLayers < 2) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "numLayers must be at least 2 (input and output layer).");
        if (numHiddens < 1) throw new ArgumentOutOfRangeException(nameof(numHiddens), numHiddens, "numHiddens must be at least 1.");
        InputDim = inputDim;
        OutputDim = outputDim;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Add(nn.Module<Tensor, Tensor> m) => layers.Add(($"{layers.Count}", m));
        nn.Module<Tensor, Tensor> Norm() => enableLayerNorm ? nn.LayerNorm(numHiddens) : nn.Identity();
        Add(nn.Linear(inputDim, numHiddens));
        Add(Norm());
        Add(nn.ReLU());
        for (int i = 0; i < numLayers - 2; i++)
        {
            Add(nn.Linear(numHiddens, numHiddens));
            Add(Norm());
            Add(nn.ReLU());
        }
        Add(nn.Linear(numHiddens, outputDim));
        Add(nn.ReLU());
        net = nn.Sequential(layers);
        register_module("net", net);
    }

    /// <summary>Number of input features.</summary>
    public int InputDim { get; }

    /// <summary>Number of output features.</summary>
    public int OutputDim { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => net.forward(input);
}
