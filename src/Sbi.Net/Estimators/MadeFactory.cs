using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// Builds sbi's <c>made</c> estimator (<c>MADEConfig</c>): a flow whose transform is only the θ z-scoring and whose
/// base distribution is a mixture-of-Gaussians MADE (<see cref="MadeMogDistribution"/>: 10 components, 5 residual
/// blocks, ReLU, no dropout, sequential masks).
/// </summary>
public static class MadeFactory
{
    /// <summary>
    /// Creates the estimator for the configuration; θ statistics from <paramref name="thetaBatch"/> when given (else
    /// placeholders to be overwritten by loaded weights). <paramref name="embedding"/> is the full x pipeline.
    /// </summary>
    public static FlowEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        // sbi: Composite([z-score, Identity]) when θ is z-scored (keys _transforms.0.*), else Identity (no keys).
        var transforms = new List<Transform>();
        if (config.ZScoreTheta != ZScoreMode.None)
            transforms.Add(MafFactory.ThetaStandardizer(config, thetaBatch));
        var distribution = new MadeMogDistribution(config.D, config.HiddenFeatures, config.C, config.NumBlocks,
            config.NumComponents, config.DropoutProbability);
        var flow = new Flow(new CompositeTransform(transforms), distribution, embedding);
        return new FlowEstimator(flow, config);
    }
}
