using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>nflows' <c>MaskedFeedforwardBlock</c> without batch norm: dropout(activation(masked linear)). Key: <c>linear</c>.</summary>
public sealed class MaskedFeedforwardBlock : nn.Module<Tensor, Tensor>
{
    private readonly MaskedLinear linear;
    private readonly Func<Tensor, Tensor> _activation;
    private readonly double _dropout;

    /// <summary>Creates the block after a layer with the given degrees.</summary>
    public MaskedFeedforwardBlock(Tensor inDegrees, int autoregressiveFeatures, Func<Tensor, Tensor> activation, double dropout)
        : base(nameof(MaskedFeedforwardBlock))
    {
        linear = new MaskedLinear(inDegrees, (int)inDegrees.shape[0], autoregressiveFeatures, isOutput: false);
        register_module("linear", linear);
        _activation = activation;
        _dropout = dropout;
    }

    /// <summary>Dropout probability (0: none).</summary>
    internal double DropoutProbability => _dropout;

    /// <summary>The block's masked layer.</summary>
    public MaskedLinear Linear => linear;

    /// <summary>Output degrees.</summary>
    public Tensor Degrees => linear.Degrees;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        var h = _activation(linear.forward(input));
        return _dropout > 0 ? nn.functional.dropout(h, _dropout, training) : h;
    }
}
