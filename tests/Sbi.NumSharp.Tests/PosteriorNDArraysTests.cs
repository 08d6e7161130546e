using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using NumSharp;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.NumSharp;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests;

/// <summary>Posterior draws and log-probabilities as NDArrays equal the tensor methods' results for the same seed.</summary>
public class PosteriorNDArraysTests
{
    private static DirectPosterior Posterior(IDistribution prior)
    {
        manual_seed(5);
        var theta = prior.Sample(200);
        var x = theta + 0.1 * randn_like(theta);
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 1 }), showProgressBars: false,
                           logger: NullLogger.Instance);
        return npe.BuildPosterior(npe.AppendSimulations(theta, x).Train(maxNumEpochs: 1));
    }

    [Test]
    public void SamplesAndLogProbsEqualTheTensorMethods()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(full(2, -3f), full(2, 3f));
        var posterior = Posterior(prior);
        var xo = tensor(new float[] { 0.5f, -0.5f }).reshape(1, 2);
        using var xoArray = xo.to_type(ScalarType.Float64).ToNDArray();

        manual_seed(1);
        var expected = posterior.Sample(50, xo);
        manual_seed(1);
        using var samples = posterior.SampleNDArray(50, xoArray);
        Assert.That(samples.shape, Is.EqualTo(new[] { 50, 2 }));
        Assert.That(samples.typecode, Is.EqualTo(NPTypeCode.Single));
        Assert.That(samples.ToArray<float>(), Is.EqualTo(expected.data<float>().ToArray()));

        // The leakage correction is a Monte Carlo estimate: the same seed for both.
        manual_seed(4);
        var logProb = posterior.LogProb(expected, xo);
        manual_seed(4);
        using var logProbArray = posterior.LogProbNDArray(samples, xoArray);
        Assert.That(logProbArray.shape, Is.EqualTo(new[] { 50 }));
        Assert.That(logProbArray.ToArray<float>(), Is.EqualTo(logProb.data<float>().ToArray()));

        posterior.SetDefaultX(xo);
        manual_seed(2);
        var atDefault = posterior.Sample(10);
        manual_seed(2);
        using var atDefaultArray = posterior.SampleNDArray(10);
        Assert.That(atDefaultArray.ToArray<float>(), Is.EqualTo(atDefault.data<float>().ToArray()), "x defaults to the posterior's default x");

        var xs = tensor(new float[] { 0.5f, -0.5f, 1f, 1f, -1f, 0f }).reshape(3, 2);
        using var xsArray = xs.ToNDArray();
        manual_seed(3);
        var batched = posterior.SampleBatched(7, xs);
        manual_seed(3);
        using var batchedArray = posterior.SampleBatchedNDArray(7, xsArray);
        Assert.That(batchedArray.shape, Is.EqualTo(new[] { 7, 3, 2 }));
        Assert.That(batchedArray.ToArray<float>(), Is.EqualTo(batched.contiguous().data<float>().ToArray()));
    }

    [Test]
    public void BadObservationsGiveTheBridgesOrTheCoresError()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(full(2, -3f), full(2, 3f));
        var posterior = Posterior(prior);
        using var ints = np.zeros(new Shape(1, 2), NPTypeCode.Int32);
        Assert.That(Assert.Throws<ArgumentException>(() => posterior.SampleNDArray(5, ints).Dispose())!.ParamName, Is.EqualTo("x"));
        using var theta = np.zeros(new Shape(3, 2), NPTypeCode.Int32);
        Assert.That(Assert.Throws<ArgumentException>(() => posterior.LogProbNDArray(theta).Dispose())!.ParamName, Is.EqualTo("theta"));
    }
}
