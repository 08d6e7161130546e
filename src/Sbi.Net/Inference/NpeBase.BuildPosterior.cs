using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;

namespace Sbi.Inference;

public abstract partial class NpeBase
{
    /// <summary>
    /// sbi's <c>build_posterior(sample_with=…, posterior_parameters=…)</c> (sbi/inference/trainers/npe/npe_base.py):
    /// a posterior of kind <paramref name="sampleWith"/> ("direct", "rejection", "importance", "mcmc", "vi"; see
    /// <see cref="PosteriorBuilder.Build"/>) over a copy of the estimator (the trained network by default), so it
    /// stays frozen while training continues. A direct posterior also becomes <see cref="LastPosterior"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown <paramref name="sampleWith"/>, or settings of another method.</exception>
    public IPosterior BuildPosterior(string sampleWith, PosteriorParameters? posteriorParameters = null,
                                     ConditionalDensityEstimator? densityEstimator = null, IDistribution? prior = null)
    {
        PosteriorBuilder.CheckSampleWith(sampleWith, posteriorParameters);
        var p = prior ?? Prior ?? throw new InvalidOperationException("BuildPosterior needs a prior: none was given to the trainer or here.");
        var source = densityEstimator ?? Network ?? throw new InvalidOperationException("BuildPosterior needs a trained network: call Train first or pass one.");
        var posterior = PosteriorBuilder.Build(CopyEstimator(source), p, sampleWith, posteriorParameters, Logger);
        if (posterior is DirectPosterior direct) LastPosterior = direct;
        return posterior;
    }
}
