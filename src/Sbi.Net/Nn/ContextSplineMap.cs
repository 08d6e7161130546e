using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// sbi's <c>ContextSplineMap</c>, NSF's conditioner when D = 1: the spline parameters depend on the context only,
/// through <c>spline_predictor</c> = Linear(C, H), ReLU, [Linear(H, H), ReLU] × hidden layers, Linear(H, out)
/// (keys <c>spline_predictor.{0,2,4,…}</c>). As in sbi (a Python list repeated), the hidden Linear is one module
/// object reused for every hidden layer, so its weights are shared. PyTorch's state dict lists the shared layer under
/// every index; TorchSharp lists it once (the first), so with more than one hidden layer (not sbi's default) the
/// repeated keys of an sbi state dict must be dropped before loading.
/// </summary>
public sealed class ContextSplineMap : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Sequential spline_predictor;

    /// <summary>Creates the map from C context features to <paramref name="outFeatures"/> spline parameters.</summary>
    public ContextSplineMap(int outFeatures, int hiddenFeatures, int contextFeatures, int hiddenLayers)
        : base(nameof(ContextSplineMap))
    {
        if (contextFeatures <= 0) throw new ArgumentException("the D = 1 spline conditioner needs context features.", nameof(contextFeatures));
        HiddenFeatures = hiddenFeatures;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", nn.Linear(contextFeatures, hiddenFeatures)),
            ("1", nn.ReLU()),
        };
        var hidden = nn.Linear(hiddenFeatures, hiddenFeatures);
        for (int i = 0; i < hiddenLayers; i++)
        {
            layers.Add(($"{layers.Count}", hidden));
            layers.Add(($"{layers.Count}", nn.ReLU()));
        }
        layers.Add(($"{layers.Count}", nn.Linear(hiddenFeatures, outFeatures)));
        spline_predictor = nn.Sequential(layers);
        register_module("spline_predictor", spline_predictor);
    }

    /// <summary>Hidden width (nflows scales the spline widths/heights by its square root).</summary>
    public int HiddenFeatures { get; }

    /// <summary>Spline parameters from the context; <paramref name="inputs"/> (no identity features) is ignored.</summary>
    public override Tensor forward(Tensor inputs, Tensor? context)
        => spline_predictor.forward(context ?? throw new ArgumentNullException(nameof(context), "the D = 1 spline conditioner needs a context."));
}
