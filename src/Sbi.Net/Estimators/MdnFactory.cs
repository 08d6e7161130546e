using Sbi.Nn;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>Builds sbi's MDN (<c>MDNConfig</c>): 10 full-covariance Gaussian components, two hidden ReLU layers, sbi's init.</summary>
public static class MdnFactory
{
    /// <summary>
    /// Creates an MDN for the configuration; θ statistics from <paramref name="thetaBatch"/> when given (else
    /// placeholders to be overwritten by loaded weights). <paramref name="embedding"/> is the full x pipeline.
    /// </summary>
    public static MdnEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var scope = NewDisposeScope();
        Tensor? mean = null, std = null;
        if (config.ZScoreTheta != ZScoreMode.None)
        {
            if (thetaBatch is not null)
                (mean, std) = ZScore.Statistics(thetaBatch, config.ZScoreTheta, ZScore.ThetaMinStd);
            else
            {
                var shape = config.ZScoreTheta == ZScoreMode.Independent ? new long[] { config.D } : Array.Empty<long>();
                (mean, std) = (zeros(shape), ones(shape));
            }
        }
        var mdn = new MultivariateGaussianMdn(config.D, config.C, config.HiddenFeatures, config.NumComponents);
        return new MdnEstimator(mdn, embedding, mean, std, config);
    }
}
