using Microsoft.Extensions.Logging;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Utils;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>build_posterior(sample_with=…, posterior_parameters=…)</c> for a posterior estimator
/// (sbi/inference/trainers/base.py, <c>_create_posterior</c>): "direct" gives a <see cref="DirectPosterior"/>;
/// "rejection", "importance" and "mcmc" a <see cref="RejectionPosterior"/>, <see cref="ImportanceSamplingPosterior"/> or
/// <see cref="McmcPosterior"/> over the estimator's potential (<see cref="PotentialFactory.PosteriorEstimatorBased"/>)
/// with the prior as proposal and its ThetaTransform; "vi" an untrained <see cref="VIPosterior"/> over that potential in
/// the prior's θ transform (call its Train(x)).
/// </summary>
public static class PosteriorBuilder
{
    /// <summary>The <c>sampleWith</c> values built here.</summary>
    public static IReadOnlyList<string> SampleWithValues { get; } = ["direct", "rejection", "importance", "mcmc", "vi"];

    /// <summary>
    /// Builds the posterior over <paramref name="estimator"/> (used as is: pass a copy if training continues) and
    /// <paramref name="prior"/>. <paramref name="posteriorParameters"/> must be the settings of <paramref name="sampleWith"/>
    /// (null: that method's defaults). The posterior's warnings and information lines go to <paramref name="logger"/>
    /// (standard error when null; NullLogger.Instance silences them).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown <paramref name="sampleWith"/>, or settings of another method.</exception>
    public static IPosterior Build(ConditionalDensityEstimator estimator, IDistribution prior, string sampleWith = "direct",
                                   PosteriorParameters? posteriorParameters = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(prior);
        CheckSampleWith(sampleWith, posteriorParameters);
        switch (posteriorParameters ?? DefaultsFor(sampleWith))
        {
            case DirectPosteriorParameters d:
                return new DirectPosterior(estimator, prior, d.MaxSamplingBatchSize, enableTransform: d.EnableTransform, checkFiniteX: d.CheckFiniteX, logger: logger);
            case RejectionPosteriorParameters r:
            {
                var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(estimator, prior, null);
                return new RejectionPosterior(potential, prior, transform, r, logger);
            }
            case ImportanceSamplingPosteriorParameters i:
            {
                var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(estimator, prior, null);
                return new ImportanceSamplingPosterior(potential, prior, transform, i, logger);
            }
            case McmcPosteriorParameters m:
            {
                var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(estimator, prior, null);
                return new McmcPosterior(potential, prior, transform, m, logger);
            }
            case VIPosteriorParameters v:
                return new VIPosterior(new PosteriorBasedPotential(estimator, prior), prior, v, logger: logger);
            default:
                throw new ArgumentException($"posteriorParameters of type {posteriorParameters!.GetType().Name} are not built by PosteriorBuilder.", nameof(posteriorParameters));
        }
    }

    /// <summary>Checks <paramref name="sampleWith"/> and that <paramref name="posteriorParameters"/> (if any) belong to it.</summary>
    internal static void CheckSampleWith(string sampleWith, PosteriorParameters? posteriorParameters)
    {
        string allowed = string.Join(", ", SampleWithValues.Select(v => $"'{v}'"));
        string got = sampleWith is null ? "null" : $"'{sampleWith}'";
        if (sampleWith is null || !SampleWithValues.Contains(sampleWith, StringComparer.Ordinal))
            throw new ArgumentException($"sampleWith must be one of {allowed}; got {got}.", nameof(sampleWith));
        if (posteriorParameters is not null && posteriorParameters.SampleWith != sampleWith)
            throw new ArgumentException($"posteriorParameters are {posteriorParameters.GetType().Name}, the settings of sampleWith '{posteriorParameters.SampleWith}'; " +
                                        $"sampleWith is {got}. Pass the settings of '{sampleWith}' or change sampleWith.", nameof(posteriorParameters));
    }

    private static PosteriorParameters DefaultsFor(string sampleWith) => sampleWith switch
    {
        "direct" => new DirectPosteriorParameters(),
        "rejection" => new RejectionPosteriorParameters(),
        "mcmc" => new McmcPosteriorParameters(),
        "vi" => new VIPosteriorParameters(),
        _ => new ImportanceSamplingPosteriorParameters(),
    };
}
