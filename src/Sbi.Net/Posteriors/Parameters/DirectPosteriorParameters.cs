namespace Sbi.Posteriors.Parameters;

/// <summary>
/// sbi's <c>DirectPosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py): the settings of a
/// <c>DirectPosterior</c>, with sbi's defaults.
/// </summary>
public sealed record DirectPosteriorParameters : PosteriorParameters
{
    private readonly int _maxSamplingBatchSize = 10_000;

    /// <summary>The settings; every argument is checked.</summary>
    public DirectPosteriorParameters(int maxSamplingBatchSize = 10_000, bool enableTransform = true, bool checkFiniteX = true)
    {
        MaxSamplingBatchSize = maxSamplingBatchSize;
        EnableTransform = enableTransform;
        CheckFiniteX = checkFiniteX;
    }

    /// <inheritdoc/>
    public override string SampleWith => "direct";

    /// <summary>Rows drawn from the estimator per rejection batch (10,000); positive.</summary>
    public int MaxSamplingBatchSize { get => _maxSamplingBatchSize; init => _maxSamplingBatchSize = Positive(value, nameof(MaxSamplingBatchSize)); }

    /// <summary>Whether MAP optimisation runs in the prior's unconstrained space (true).</summary>
    public bool EnableTransform { get; init; }

    /// <summary>Whether the observation must be finite (true; sbi's <c>check_finite_x</c>).</summary>
    public bool CheckFiniteX { get; init; }
}
