using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// The "gaussian" and "gaussian_diag" variational families (<see cref="GaussianQ"/>) as estimator families, so that
/// VI posteriors build, save and load them like a flow. Not registered in <see cref="EstimatorFamilies"/> (they are
/// variational families, not NPE density estimators); <see cref="VariationalFamilies"/> finds them.
/// </summary>
public sealed class GaussianQFamily : IEstimatorFamily
{
    /// <summary>The full-covariance family's name.</summary>
    public const string FullName = "gaussian";

    /// <summary>The diagonal family's name.</summary>
    public const string DiagonalName = "gaussian_diag";

    /// <summary>The family "gaussian" (<paramref name="fullCovariance"/>) or "gaussian_diag".</summary>
    public GaussianQFamily(bool fullCovariance) => Name = fullCovariance ? FullName : DiagonalName;

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>sbi's Gaussian has no θ z-scoring (it starts at N(0, I) in the unconstrained space): the mode is set to none.</summary>
    public EstimatorConfig Configure(EstimatorConfig requested) => requested with { ZScoreTheta = ZScoreMode.None };

    /// <inheritdoc/>
    public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding) =>
        new GaussianQ(config, embedding);

    /// <inheritdoc/>
    public EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        if (!stateDict.TryGetValue("loc", out var l) || !stateDict.TryGetValue("context_weight", out var w)) return null;
        bool full = stateDict.ContainsKey("scale_tril");
        if (full != (Name == FullName)) return null;
        if (l.dim() != 1 || w.dim() != 2 || w.shape[0] != l.shape[0])
            throw new ArgumentException($"{source}: 'loc' {Sbi.Utils.Guard.Shape(l)} and 'context_weight' {Sbi.Utils.Guard.Shape(w)} are not (D) and (D, C).");
        return new EstimatorConfig { Estimator = Name, D = (int)l.shape[0], C = (int)w.shape[1], XShape = new[] { w.shape[1] } };
    }
}
