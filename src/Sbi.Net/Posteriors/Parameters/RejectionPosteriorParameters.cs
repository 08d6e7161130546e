namespace Sbi.Posteriors.Parameters;

/// <summary>
/// sbi's <c>RejectionPosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py): the settings of a
/// <c>RejectionPosterior</c>, with sbi's defaults and checks.
/// </summary>
public sealed record RejectionPosteriorParameters : PosteriorParameters
{
    private readonly int _maxSamplingBatchSize = 10_000, _numSamplesToFindMax = 10_000, _numIterToFindMax = 100;
    private readonly double _m = 1.2;

    /// <summary>The settings; every argument is checked.</summary>
    public RejectionPosteriorParameters(int maxSamplingBatchSize = 10_000, int numSamplesToFindMax = 10_000, int numIterToFindMax = 100, double m = 1.2)
    {
        MaxSamplingBatchSize = maxSamplingBatchSize;
        NumSamplesToFindMax = numSamplesToFindMax;
        NumIterToFindMax = numIterToFindMax;
        M = m;
    }

    /// <inheritdoc/>
    public override string SampleWith => "rejection";

    /// <summary>Candidates drawn from the proposal per batch (10,000); positive.</summary>
    public int MaxSamplingBatchSize { get => _maxSamplingBatchSize; init => _maxSamplingBatchSize = Positive(value, nameof(MaxSamplingBatchSize)); }

    /// <summary>Proposal samples from which the maximum of potential − log proposal is searched (10,000); positive.</summary>
    public int NumSamplesToFindMax { get => _numSamplesToFindMax; init => _numSamplesToFindMax = Positive(value, nameof(NumSamplesToFindMax)); }

    /// <summary>Gradient-ascent steps of that search (100); 0 takes the best of the samples.</summary>
    public int NumIterToFindMax { get => _numIterToFindMax; init => _numIterToFindMax = NonNegative(value, nameof(NumIterToFindMax)); }

    /// <summary>
    /// The multiplier of the found maximum ratio (1.2), the envelope's safety margin; positive (below 1 the samples
    /// are systematically wrong, and sampling warns).
    /// </summary>
    public double M { get => _m; init => _m = PositiveFinite(value, nameof(M)); }
}
