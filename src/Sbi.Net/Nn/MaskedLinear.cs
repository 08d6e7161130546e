using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// nflows' <c>MaskedLinear</c>: y = (W ⊙ M) x + b. W keeps its full shape and PyTorch's default Linear init
/// (fan-in of the full input width); <c>mask</c> (float 0/1) and <c>degrees</c> (int64) are buffers.
/// </summary>
public sealed class MaskedLinear : nn.Module<Tensor, Tensor>
{
    private Parameter weight;
    private Parameter bias;
    private Tensor mask;
    private Tensor degrees;

    /// <summary>Creates the layer for the given input degrees; <paramref name="isOutput"/> selects the output-layer rule.</summary>
    public MaskedLinear(Tensor inDegrees, int outFeatures, int autoregressiveFeatures, bool isOutput)
        : base(nameof(MaskedLinear))
    {
        int inFeatures = (int)inDegrees.shape[0];
        using (var lin = nn.Linear(inFeatures, outFeatures))
        {
            weight = new Parameter(lin.weight!.detach().clone().DetachFromDisposeScope());
            bias = new Parameter(lin.bias!.detach().clone().DetachFromDisposeScope());
        }
        // nflows' sequential degree rule (Sbi.Format.MadeDegrees, shared with the ONNX exporter) as tensors.
        degrees = tensor(isOutput ? MadeDegrees.Output(outFeatures, autoregressiveFeatures)
                                  : MadeDegrees.Hidden(outFeatures, autoregressiveFeatures)).DetachFromDisposeScope();
        using (var scope = NewDisposeScope())
        {
            var o = degrees.unsqueeze(1);
            mask = (isOutput ? o > inDegrees : o >= inDegrees).to(ScalarType.Float32).DetachFromDisposeScope();
        }
        register_parameter("weight", weight);
        register_parameter("bias", bias);
        register_buffer("mask", mask);
        register_buffer("degrees", degrees);
    }

    /// <summary>Output degrees of this layer (int64).</summary>
    public Tensor Degrees => degrees;

    /// <summary>The mask (out, in).</summary>
    public Tensor Mask => mask;

    /// <summary>The unmasked weight parameter.</summary>
    public Parameter Weight => weight;

    /// <summary>The bias parameter.</summary>
    public Parameter Bias => bias;

    /// <summary>
    /// When set, the weight's masked entries are known to be zero (the trainer zeroes them and masks their
    /// gradients), so W ⊙ M == W and the product is skipped: one op less forward and backward per layer.
    /// </summary>
    internal bool Premasked { get; set; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => nn.functional.linear(input, Premasked ? weight : weight * mask, bias);
}
