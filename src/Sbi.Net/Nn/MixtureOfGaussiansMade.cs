using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// nflows' <c>MixtureOfGaussiansMADE</c> network with residual masked blocks and sequential degrees: for F features it
/// outputs F·K·3 values, feature-major, then component, then (logit, mean, unconstrained std); σ = softplus(u) + ε.
/// h = (W0⊙M0) z + b0 + W_c c + b_c (no activation on the context), then the residual blocks (each with its own context
/// layer), then the output layer (no activation before it). Keys: <c>initial_layer</c>, <c>context_layer</c>,
/// <c>blocks.{b}.*</c>, <c>final_layer</c>. nflows' custom initialisation: logit and std rows of the output layer
/// ~ ε·N(0, 1), std biases log(exp(1 − ε) − 1) + ε·N(0, 1).
/// </summary>
public sealed class MixtureOfGaussiansMade : nn.Module
{
    private readonly MaskedLinear initial_layer;
    private readonly Linear? context_layer;
    private readonly ModuleList<MaskedResidualBlock> blocks;
    private readonly MaskedLinear final_layer;

    /// <summary>Creates the network for F features, H hidden units, C context features (0: none) and K components.</summary>
    public MixtureOfGaussiansMade(int features, int hiddenFeatures, int contextFeatures, int numBlocks, int numComponents,
                                  Func<Tensor, Tensor> activation, double dropoutProbability = 0.0, double epsilon = EstimatorConstants.MadeMixtureEpsilon,
                                  bool customInitialization = true)
        : base(nameof(MixtureOfGaussiansMade))
    {
        Features = features;
        HiddenFeatures = hiddenFeatures;
        NumComponents = numComponents;
        Epsilon = epsilon;
        using (var inDeg = tensor(MadeDegrees.Input(features)))
            initial_layer = new MaskedLinear(inDeg, hiddenFeatures, features, isOutput: false);
        register_module("initial_layer", initial_layer);
        if (contextFeatures > 0)
        {
            context_layer = nn.Linear(contextFeatures, hiddenFeatures);
            register_module("context_layer", context_layer);
        }
        var list = new List<MaskedResidualBlock>();
        var prev = initial_layer.Degrees;
        for (int b = 0; b < numBlocks; b++)
        {
            var block = new MaskedResidualBlock(prev, features, contextFeatures, activation, dropoutProbability);
            list.Add(block);
            prev = block.Degrees;
        }
        blocks = new ModuleList<MaskedResidualBlock>(list.ToArray());
        register_module("blocks", blocks);
        final_layer = new MaskedLinear(prev, features * 3 * numComponents, features, isOutput: true);
        register_module("final_layer", final_layer);
        if (customInitialization) Initialize();
    }

    /// <summary>The context layer (null without context).</summary>
    internal Linear? ContextLayer => context_layer;

    /// <summary>The residual blocks.</summary>
    internal IReadOnlyList<MaskedResidualBlock> Blocks => blocks.ToList();

    /// <summary>The initial and final masked layers.</summary>
    internal (MaskedLinear Initial, MaskedLinear Final) OuterLayers => (initial_layer, final_layer);

    /// <summary>Number of autoregressive features F.</summary>
    public int Features { get; }

    /// <summary>Hidden width H.</summary>
    public int HiddenFeatures { get; }

    /// <summary>Number of mixture components K per feature.</summary>
    public int NumComponents { get; }

    /// <summary>Floor added to the softplus of the unconstrained standard deviations (nflows: 1e-2).</summary>
    public double Epsilon { get; }

    private void Initialize()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long rows = (long)Features * NumComponents;
        var w = final_layer.Weight.view(rows, 3, HiddenFeatures);
        var b = final_layer.Bias.view(rows, 3);
        // Same draw order as nflows: logit weights, logit biases, std weights, std biases.
        using Scalar epsilon = Epsilon;
        w.select(1, 0).copy_(epsilon * randn(rows, HiddenFeatures));
        b.select(1, 0).copy_(epsilon * randn(rows));
        w.select(1, 2).copy_(epsilon * randn(rows, HiddenFeatures));
        var c = tensor(new[] { (float)(1 - Epsilon) }).exp().sub(Scalars.Of(1)).log();
        b.select(1, 2).copy_((c * ones(rows)).Plus(epsilon * randn(rows)));
    }

    /// <summary>The context's contributions (initial layer, then each block), computed once per context.</summary>
    public Tensor?[] ContextTerms(Tensor? context)
        => new[] { context is null || context_layer is null ? null : context_layer.forward(context) }
            .Concat(blocks.Select(b => b.ContextTerm(context))).ToArray();

    /// <summary>Network outputs (N, F·K·3) for inputs (N, F) given precomputed <see cref="ContextTerms"/>.</summary>
    public Tensor Forward(Tensor inputs, IReadOnlyList<Tensor?> contextTerms)
    {
        var temps = initial_layer.forward(inputs);
        if (contextTerms[0] is { } c0) temps = temps.Plus(c0);
        for (int i = 0; i < blocks.Count; i++) temps = blocks[i].Forward(temps, contextTerms[i + 1]);
        return final_layer.forward(temps);
    }

    /// <summary>Network outputs (N, F·K·3) for inputs (N, F) and context (N, C).</summary>
    public Tensor Forward(Tensor inputs, Tensor? context) => Forward(inputs, ContextTerms(context));

    /// <summary>The masked layers in order (initial, blocks' two layers each, final), for tests and exporters.</summary>
    public IEnumerable<MaskedLinear> MaskedLayers
        => new[] { initial_layer }.Concat(blocks.SelectMany(b => b.LinearLayers)).Append(final_layer);
}
