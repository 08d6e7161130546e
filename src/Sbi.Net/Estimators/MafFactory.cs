using Sbi.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>Builds sbi's MAF (<c>MAFConfig</c>): [z-score θ] + N × [MADE affine layer, random permutation], tanh, standard-normal base.</summary>
public static class MafFactory
{
    /// <summary>
    /// Creates a MAF for the configuration; θ statistics from <paramref name="thetaBatch"/> when given (else
    /// placeholders to be overwritten by loaded weights). <paramref name="embedding"/> is the full x pipeline.
    /// </summary>
    public static FlowEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        var transforms = new List<Transform>();
        if (config.ZScoreTheta != ZScoreMode.None)
            transforms.Add(ThetaStandardizer(config, thetaBatch));
        for (int i = 0; i < config.NumTransforms; i++)
        {
            transforms.Add(new MaskedAffineAutoregressiveTransform(config.D, config.HiddenFeatures, config.C,
                config.NumBlocks, tanh, config.DropoutProbability));
            transforms.Add(new RandomPermutation(config.D));
        }
        var flow = new Flow(new CompositeTransform(transforms), new StandardNormal(config.D), embedding);
        return new FlowEstimator(flow, config);
    }

    /// <summary>nflows' θ z-scoring layer from the batch statistics (floor 1e-14), or a placeholder.</summary>
    internal static PointwiseAffineTransform ThetaStandardizer(EstimatorConfig config, Tensor? thetaBatch)
    {
        using var scope = NewDisposeScope();
        Tensor mean, std;
        if (thetaBatch is not null)
            (mean, std) = ZScore.Statistics(thetaBatch, config.ZScoreTheta, ZScore.ThetaMinStd);
        else
        {
            var shape = config.ZScoreTheta == ZScoreMode.Independent ? new long[] { config.D } : Array.Empty<long>();
            (mean, std) = (zeros(shape), ones(shape));
        }
        return PointwiseAffineTransform.FromStatistics(mean, std);
    }
}
