namespace Sbi.Posteriors.Parameters;

/// <summary>
/// sbi's <c>ImportanceSamplingPosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py): the settings
/// of an <c>ImportanceSamplingPosterior</c>, with sbi's defaults and checks. sbi's <c>theta_transform</c> field is not
/// here: the posterior takes the proposal's transform (or one passed to its constructor).
/// </summary>
public sealed record ImportanceSamplingPosteriorParameters : PosteriorParameters
{
    /// <summary>The values <see cref="Method"/> may take: "sir" and "importance".</summary>
    public static IReadOnlyList<string> Methods { get; } = ["sir", "importance"];

    private readonly string _method = "sir";
    private readonly int _oversamplingFactor = 32, _maxSamplingBatchSize = 10_000;

    /// <summary>The settings; every argument is checked.</summary>
    public ImportanceSamplingPosteriorParameters(string method = "sir", int oversamplingFactor = 32, int maxSamplingBatchSize = 10_000)
    {
        Method = method;
        OversamplingFactor = oversamplingFactor;
        MaxSamplingBatchSize = maxSamplingBatchSize;
    }

    /// <inheritdoc/>
    public override string SampleWith => "importance";

    /// <summary>
    /// "sir" (default): <c>Sample</c> draws by sampling-importance-resampling; "importance": samples come with their
    /// log importance weights (<c>ImportanceSample</c>).
    /// </summary>
    public string Method { get => _method; init => _method = OneOf(value, nameof(Method), [.. Methods]); }

    /// <summary>Proposal candidates per SIR sample, of which one is kept by its weight (32); positive.</summary>
    public int OversamplingFactor { get => _oversamplingFactor; init => _oversamplingFactor = Positive(value, nameof(OversamplingFactor)); }

    /// <summary>SIR samples drawn per batch (10,000; each batch evaluates OversamplingFactor times as many candidates); positive.</summary>
    public int MaxSamplingBatchSize { get => _maxSamplingBatchSize; init => _maxSamplingBatchSize = Positive(value, nameof(MaxSamplingBatchSize)); }
}
