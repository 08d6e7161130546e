using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Families;

/// <summary>
/// sbi's "made" estimator (sbi/neural_nets/net_builders/flow.py, <c>build_made</c>): a flow whose transform is only the
/// θ z-scoring and whose base distribution is nflows' mixture-of-Gaussians MADE (<see cref="MadeMixtureDistribution"/>:
/// 10 components, 5 residual blocks, ReLU, no dropout, sequential masks).
/// </summary>
public sealed class MadeMixtureFamily : IEstimatorFamily
{
    /// <inheritdoc/>
    public string Name => "made";

    /// <summary>sbi's builder fixes 5 residual blocks and no dropout, whatever is asked.</summary>
    public EstimatorConfig Configure(EstimatorConfig requested) =>
        requested with { NumBlocks = EstimatorDefaults.MadeMixtureBlocks, DropoutProbability = 0.0 };

    /// <inheritdoc/>
    public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        // sbi: Composite([z-score, Identity]) when θ is z-scored (keys _transforms.0.*), else Identity (no keys).
        var transforms = new List<Transform>();
        if (config.ZScoreTheta != ZScoreMode.None)
            transforms.Add(ZScore.ThetaStandardizer(config, thetaBatch));
        var distribution = new MadeMixtureDistribution(config.D, config.HiddenFeatures, config.C, config.NumBlocks,
            config.NumComponents, config.DropoutProbability);
        var flow = new Flow(new CompositeTransform(transforms), distribution, embedding);
        return new FlowEstimator(flow, config);
    }

    /// <inheritdoc/>
    public EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var sd = new StateDictShapes(stateDict, source);
        if (!sd.Has("net._distribution._made.initial_layer.weight")) return null;
        var w0 = sd.Shape("net._distribution._made.initial_layer.weight");
        int d = (int)w0[1] - 1;   // the MADE runs over [dummy; θ]
        long c = sd.Shape("net._distribution._made.context_layer.weight")[1];
        return new EstimatorConfig
        {
            Estimator = Name, D = d, C = (int)c, XShape = new[] { c }, HiddenFeatures = (int)w0[0],
            // 3 outputs per component (logit, mean, log-std) per feature of [dummy; θ].
            NumComponents = (int)(sd.Shape("net._distribution._made.final_layer.weight")[0] / (3 * (d + 1))),
            NumBlocks = sd.Count(@"_made\.blocks\.(\d+)\."),
            ZScoreTheta = sd.ModeOf("net._transform._transforms.0._shift"), ZScoreX = sd.ModeOf("net._embedding_net.0._mean"),
        };
    }

    /// <inheritdoc/>
    public ITrainingKernel? TryCreateTrainingKernel(ConditionalDensityEstimator estimator, out string reason) => MadeMixtureKernel.TryCreate(estimator, out reason);
}
