using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// One family of conditional density estimators (sbi's "maf", "nsf", "mdn", "made", or a user's own), registered in
/// <see cref="EstimatorFamilies"/> under <see cref="Name"/>, which is the configuration's <see cref="EstimatorConfig.Estimator"/>
/// and the model file's "estimator". The registry is what builds, rebuilds, recognises and (through a matching
/// <c>Sbi.Onnx</c> exporter) exports the family, so a registered family trains, saves, loads and exports like the
/// built-in ones. Mirrors sbi's net builders (sbi/neural_nets/net_builders/*.py) behind <c>posterior_nn</c>
/// (sbi/neural_nets/factory.py).
/// </summary>
public interface IEstimatorFamily
{
    /// <summary>The family's name ("estimator" in configurations and files).</summary>
    string Name { get; }

    /// <summary>
    /// The family's builder rules applied to a configuration assembled from <see cref="DensityEstimatorOptions"/>
    /// (sbi's builders ignore some options: the MADE mixture has 5 blocks and no dropout, the MDN no dropout).
    /// The x pipeline is built from the configured <see cref="EstimatorConfig.ZScoreX"/> afterwards, and
    /// <see cref="EstimatorConfig.C"/> (0 here) is set from its output width.
    /// </summary>
    EstimatorConfig Configure(EstimatorConfig requested) => requested;

    /// <summary>
    /// Builds the estimator. With a θ batch the z-score statistics come from it; without, placeholders are used that
    /// loaded weights overwrite. <paramref name="embedding"/> is the whole x pipeline (z-scoring included).
    /// </summary>
    ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding);

    /// <summary>
    /// The configuration a state dict with sbi's key names implies, or null when the keys are not this family's
    /// (used to load weights saved by Python sbi, whose files carry no configuration).
    /// </summary>
    EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source) => null;

    /// <summary>A training kernel bound to the estimator's parameters, or null with the reason (then autograd trains it).</summary>
    ITrainingKernel? TryCreateTrainingKernel(ConditionalDensityEstimator estimator, out string reason)
    {
        reason = $"the '{Name}' family has no training kernel";
        return null;
    }
}
