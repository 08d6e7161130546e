using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Families;

/// <summary>
/// sbi's MAF (sbi/neural_nets/net_builders/flow.py, <c>build_maf</c>): [z-score θ] + N × [MADE affine layer, random
/// permutation], tanh, standard-normal base. Trains through the fused CPU kernel and samples through the fused sampler
/// where they apply.
/// </summary>
public sealed class MafFamily : IEstimatorFamily
{
    /// <inheritdoc/>
    public string Name => "maf";

    /// <inheritdoc/>
    public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding)
    {
        ArgumentNullException.ThrowIfNull(config);
        var transforms = new List<Transform>();
        if (config.ZScoreTheta != ZScoreMode.None)
            transforms.Add(ZScore.ThetaStandardizer(config, thetaBatch));
        for (int i = 0; i < config.NumTransforms; i++)
        {
            transforms.Add(new MaskedAffineAutoregressiveTransform(config.D, config.HiddenFeatures, config.C,
                config.NumBlocks, tanh, config.DropoutProbability));
            transforms.Add(new RandomPermutation(config.D));
        }
        var flow = new Flow(new CompositeTransform(transforms), new StandardNormal(config.D), embedding) { InverseKernel = MafSampler.Kernel };
        return new FlowEstimator(flow, config);
    }

    /// <inheritdoc/>
    public EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var sd = new StateDictShapes(stateDict, source);
        if (!sd.Keys.Any(k => k.Contains(".autoregressive_net.", StringComparison.Ordinal))) return null;
        var first = sd.First(".autoregressive_net.initial_layer.weight");
        var prefix = first[..^"initial_layer.weight".Length];
        var w0 = sd.Shape(first);
        long c = sd.Shape(prefix + "context_layer.weight")[1];
        return new EstimatorConfig
        {
            Estimator = Name, D = (int)w0[1], C = (int)c, XShape = new[] { c }, HiddenFeatures = (int)w0[0],
            NumTransforms = sd.Count(@"_transforms\.(\d+)\.autoregressive_net\."), NumBlocks = sd.Count(@"autoregressive_net\.blocks\.(\d+)\."),
            ZScoreTheta = sd.ModeOf("net._transform._transforms.0._shift"), ZScoreX = sd.ModeOf("net._embedding_net.0._mean"),
        };
    }

    /// <inheritdoc/>
    public ITrainingKernel? TryCreateTrainingKernel(ConditionalDensityEstimator estimator, out string reason) => MafKernel.TryCreate(estimator, out reason);
}
