using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// A linear layer as the fused kernels see it: pointers to its weight (Out × In, row-major) and bias and to their
/// gradient buffers (views of the optimiser's flat buffer, so the kernels write gradients in place).
/// </summary>
internal sealed unsafe class BoundAffine
{
    public float* W, B, GW, GB;
    public int Out, In;

    /// <summary>Binds a weight and bias that have gradient buffers, adding their size to <paramref name="covered"/>.</summary>
    public static BoundAffine Bind(Parameter weight, Parameter bias, ref long covered)
    {
        using var gw = weight.grad ?? throw new InvalidOperationException("the fused kernel needs gradient buffers (build the optimiser first).");
        using var gb = bias.grad ?? throw new InvalidOperationException("the fused kernel needs gradient buffers (build the optimiser first).");
        covered += weight.numel() + bias.numel();
        return new BoundAffine
        {
            W = TorchNative.Data(weight), B = TorchNative.Data(bias), GW = TorchNative.Data(gw), GB = TorchNative.Data(gb),
            Out = (int)weight.shape[0], In = (int)weight.shape[1],
        };
    }

    /// <summary>Binds a <c>Linear</c> module.</summary>
    public static BoundAffine Bind(Linear layer, ref long covered) => Bind(layer.weight!, layer.bias!, ref covered);
}
