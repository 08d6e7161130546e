using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>sbi's <c>build_posterior(sample_with=…, posterior_parameters=…)</c> (sbi/inference/trainers/base.py, <c>_create_posterior</c>).</summary>
public class PosteriorBuilderTests
{
    [Test]
    public void EachSampleWithBuildsItsPosteriorWithTheGivenSettings()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var estimator = new GaussianEstimator(2, 1);
        Assert.That(PosteriorBuilder.Build(estimator, prior, logger: NullLogger.Instance), Is.TypeOf<DirectPosterior>(), "direct is the default");
        var direct = (DirectPosterior)PosteriorBuilder.Build(estimator, prior, "direct", new DirectPosteriorParameters(maxSamplingBatchSize: 123, enableTransform: false));
        Assert.That((direct.MaxSamplingBatchSize, direct.EnableTransform), Is.EqualTo((123, false)));
        var rp = new RejectionPosteriorParameters(m: 1.5);
        var rejection = (RejectionPosterior)PosteriorBuilder.Build(estimator, prior, "rejection", rp);
        Assert.That(rejection.Parameters, Is.SameAs(rp));
        Assert.That(rejection.Proposal, Is.SameAs(prior), "the prior is the proposal, as in sbi");
        Assert.That(((PosteriorBasedPotential)rejection.Potential).PosteriorEstimator, Is.SameAs(estimator));
        var importance = (ImportanceSamplingPosterior)PosteriorBuilder.Build(estimator, prior, "importance");
        Assert.That(importance.Parameters, Is.EqualTo(new ImportanceSamplingPosteriorParameters()), "sbi's defaults when none are given");
    }

    [Test]
    public void UnknownOrUnbuiltSampleWithAndMismatchedSettingsAreRefused()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -2 }, new float[] { 2 });
        var estimator = new GaussianEstimator(1, 1);
        var unknown = Assert.Throws<ArgumentException>(() => PosteriorBuilder.Build(estimator, prior, "slice"))!;
        Assert.That(unknown.ParamName, Is.EqualTo("sampleWith"));
        Assert.That(unknown.Message, Does.Contain("'direct', 'rejection', 'importance', 'mcmc', 'vi'").And.Contain("got 'slice'"));
        Assert.That(Assert.Throws<ArgumentException>(() => PosteriorBuilder.Build(estimator, prior, null!))!.Message, Does.Contain("got null"));
        var mismatch = Assert.Throws<ArgumentException>(() => PosteriorBuilder.Build(estimator, prior, "rejection", new ImportanceSamplingPosteriorParameters()))!;
        Assert.That(mismatch.ParamName, Is.EqualTo("posteriorParameters"));
        Assert.That(mismatch.Message, Does.Contain("ImportanceSamplingPosteriorParameters").And.Contain("'rejection'"));
    }

    /// <summary>The trainer's overload copies the trained network (the posterior stays frozen while training goes on) and checks sampleWith first.</summary>
    [Test]
    public void TheTrainersOverloadBuildsOverACopyOfTheNetwork()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 1 }), showProgressBars: false, logger: NullLogger.Instance);
        var theta = prior.Sample(200);
        var net = npe.AppendSimulations(theta, theta + 0.3 * randn_like(theta)).Train(maxNumEpochs: 1, trainingBatchSize: 50);
        var xo = tensor(new float[] { 0.5f, -0.5f });
        var rejection = (RejectionPosterior)npe.BuildPosterior("rejection");
        Assert.That(((PosteriorBasedPotential)rejection.Potential).PosteriorEstimator, Is.Not.SameAs(net));
        Assert.That(prior.WithinSupport(rejection.SetDefaultX(xo).Sample(100)).all().item<bool>());
        var sir = npe.BuildPosterior("importance", new ImportanceSamplingPosteriorParameters(oversamplingFactor: 4));
        Assert.That(sir.SetDefaultX(xo).Sample(100).shape, Is.EqualTo(new long[] { 100, 2 }));
        var direct = npe.BuildPosterior("direct");
        Assert.That(npe.LastPosterior, Is.SameAs(direct));
        Assert.That(Assert.Throws<ArgumentException>(() => npe.BuildPosterior("slice"))!.ParamName, Is.EqualTo("sampleWith"));
        Assert.That(npe.BuildPosterior("mcmc"), Is.InstanceOf<McmcPosterior>());
        Assert.That(npe.BuildPosterior("vi"), Is.InstanceOf<VIPosterior>());
    }
}
