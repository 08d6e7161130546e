using Sbi.Nn;
using Sbi.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// Builds sbi's NSF (<c>NSFConfig</c>): [z-score θ] + N × [rational-quadratic spline coupling, LU linear], linear tails,
/// standard-normal base. Coupling i transforms the even positions for even i, the odd ones for odd i; its conditioner is
/// a residual net with GLU context gating (D &gt; 1) or a context-only MLP (D = 1, and then no LU layers).
/// </summary>
public static class NsfFactory
{
    /// <summary>
    /// Creates an NSF for the configuration; θ statistics from <paramref name="thetaBatch"/> when given (else
    /// placeholders to be overwritten by loaded weights). <paramref name="embedding"/> is the full x pipeline.
    /// </summary>
    public static FlowEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        int d = config.D, h = config.HiddenFeatures, c = config.C;
        var transforms = new List<Transform>();
        if (config.ZScoreTheta != ZScoreMode.None)
            transforms.Add(MafFactory.ThetaStandardizer(config, thetaBatch));
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
}
