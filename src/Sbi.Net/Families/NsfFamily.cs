using Sbi.Estimators;
using Sbi.Nn;
using Sbi.Nn.Fused;
using Sbi.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Families;

/// <summary>
/// sbi's NSF (sbi/neural_nets/net_builders/flow.py, <c>build_nsf</c>): [z-score θ] + N × [rational-quadratic spline
/// coupling, LU linear], linear tails, standard-normal base. Coupling i transforms the even positions for even i, the
/// odd ones for odd i; its conditioner is a residual net with GLU context gating (D &gt; 1) or a context-only MLP
/// (D = 1, and then no LU layers).
/// </summary>
public sealed class NsfFamily : IEstimatorFamily
{
    /// <inheritdoc/>
    public string Name => "nsf";

    /// <inheritdoc/>
    public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        int d = config.D, h = config.HiddenFeatures, c = config.C;
        var transforms = new List<Transform>();
        if (config.ZScoreTheta != ZScoreMode.None)
            transforms.Add(ZScore.ThetaStandardizer(config, thetaBatch));
        Func<int, int, nn.Module<Tensor, Tensor?, Tensor>> conditioner = d == 1
            ? (_, outFeatures) => new ContextSplineMap(outFeatures, h, c, config.HiddenLayersSplineContext)
            : (inFeatures, outFeatures) => new ResidualNet(inFeatures, outFeatures, h, c, config.NumBlocks,
                t => nn.functional.relu(t), config.DropoutProbability) { ActivationIsRelu = true };
        for (int i = 0; i < config.NumTransforms; i++)
        {
            transforms.Add(new PiecewiseRationalQuadraticCouplingTransform(CouplingMask(d, i), conditioner, h,
                config.NumBins, config.TailBound));
            if (d > 1) transforms.Add(new LULinear(d));
        }
        var flow = new Flow(new CompositeTransform(transforms), new StandardNormal(d), embedding);
        return new FlowEstimator(flow, config);
    }

    /// <summary>
    /// sbi's alternating coupling mask for layer <paramref name="layer"/>: even layers transform positions 0, 2, 4, …,
    /// odd layers positions 1, 3, …; with D = 1 the single feature is always transformed.
    /// </summary>
    public static bool[] CouplingMask(int features, int layer)
        => features == 1 ? new[] { true } : Enumerable.Range(0, features).Select(i => i % 2 == layer % 2).ToArray();

    /// <inheritdoc/>
    public EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var sd = new StateDictShapes(stateDict, source);
        if (!sd.Keys.Any(k => k.Contains(".transform_net.", StringComparison.Ordinal))) return null;
        var pre = sd.First(".identity_features")[..^"identity_features".Length];
        int d = (int)(sd.Shape(pre + "identity_features")[0] + sd.Shape(pre + "transform_features")[0]);
        bool oneDim = sd.Has(pre + "transform_net.spline_predictor.0.weight");
        var wIn = oneDim ? sd.Shape(pre + "transform_net.spline_predictor.0.weight") : sd.Shape(pre + "transform_net.initial_layer.weight");
        long c = oneDim ? wIn[1] : sd.Shape(pre + "transform_net.blocks.0.context_layer.weight")[1];
        long outRows = oneDim ? sd.Shape(pre + "transform_net.spline_predictor.4.weight")[0] : sd.Shape(pre + "transform_net.final_layer.weight")[0];
        long tf = sd.Shape(pre + "transform_features")[0];
        return new EstimatorConfig
        {
            Estimator = Name, D = d, C = (int)c, XShape = new[] { c }, HiddenFeatures = (int)wIn[0],
            NumTransforms = sd.Count(@"_transforms\.(\d+)\.transform_features"),
            // 3K − 1 spline parameters per transformed feature (K widths, K heights, K − 1 inner derivatives).
            NumBins = (int)((outRows / tf + 1) / 3),
            NumBlocks = oneDim ? EstimatorDefaults.NumBlocks : sd.Count(@"transform_net\.blocks\.(\d+)\."),
            ZScoreTheta = sd.ModeOf("net._transform._transforms.0._shift"), ZScoreX = sd.ModeOf("net._embedding_net.0._mean"),
        };
    }

    /// <inheritdoc/>
    public ITrainingKernel? TryCreateTrainingKernel(ConditionalDensityEstimator estimator, out string reason) => NsfKernel.TryCreate(estimator, out reason);
}
