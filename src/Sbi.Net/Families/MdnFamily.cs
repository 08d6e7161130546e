using Sbi.Estimators;
using Sbi.Nn;
using Sbi.Nn.Fused;
using static TorchSharp.torch;

namespace Sbi.Families;

/// <summary>
/// sbi's MDN (sbi/neural_nets/net_builders/mdn.py, <c>build_mdn</c>): full-covariance Gaussian components, two hidden
/// ReLU layers, sbi's initialisation; θ z-scored by buffers of the estimator, not by a transform.
/// </summary>
public sealed class MdnFamily : IEstimatorFamily
{
    /// <inheritdoc/>
    public string Name => "mdn";

    /// <summary>sbi's MDN builder takes no dropout.</summary>
    public EstimatorConfig Configure(EstimatorConfig requested) => requested with { DropoutProbability = 0.0 };

    /// <inheritdoc/>
    public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var scope = NewDisposeScope();
        Tensor? mean = null, std = null;
        if (config.ZScoreTheta != ZScoreMode.None) (mean, std) = ZScore.ThetaStatistics(config, thetaBatch);
        var mdn = new MultivariateGaussianMdn(config.D, config.C, config.HiddenFeatures, config.NumComponents);
        return new MdnEstimator(mdn, embedding, mean, std, config);
    }

    /// <inheritdoc/>
    public EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var sd = new StateDictShapes(stateDict, source);
        if (!sd.Has("net._logits_layer.weight")) return null;
        var h0 = sd.Shape("net._hidden_net.0.weight");
        long k = sd.Shape("net._logits_layer.weight")[0];
        return new EstimatorConfig
        {
            Estimator = Name, D = (int)(sd.Shape("net._means_layer.weight")[0] / k), C = (int)h0[1], XShape = new[] { h0[1] },
            HiddenFeatures = (int)h0[0], NumComponents = (int)k,
            ZScoreTheta = sd.ModeOf("_transform_shift"), ZScoreX = sd.ModeOf("_embedding_net.0._mean"),
        };
    }

    /// <inheritdoc/>
    public ITrainingKernel? TryCreateTrainingKernel(ConditionalDensityEstimator estimator, out string reason) => MdnKernel.TryCreate(estimator, out reason);
}
