using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using NumSharp;
using Sbi.Data;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.NumSharp;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests;

/// <summary>
/// Simulations as NDArrays: <c>SimulationData.FromNDArrays</c> equals <see cref="SimulationData.FromTensors"/> on the
/// same data, the core's errors come through, and a training fed from NDArrays is the training fed from the same
/// data as tensors, loss for loss.
/// </summary>
public class NDArraySimulationsTests
{
    private static NpeB Trainer(IDistribution prior) =>
        new(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 2 }), showProgressBars: false,
            logger: NullLogger.Instance);

    /// <summary>Round 0 of NPE-B on 200 simulations of x = θ + 0.1ε, 3 epochs (maxNumEpochs 2, sbi's rule), from one seed.</summary>
    private static TrainingSummary Train(Func<NpeB, Tensor, Tensor, NpeB> append)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var prior = MultivariateNormal.Standard(2);
        var theta = prior.Sample(200);
        var x = theta + 0.1 * randn_like(theta);
        var npe = Trainer(prior);
        append(npe, theta, x).Train(trainingBatchSize: 50, maxNumEpochs: 2);
        return npe.Summary;
    }

    [Test]
    public void TrainingFromNDArraysEqualsTrainingFromTensors()
    {
        var fromTensors = Train((npe, theta, x) => npe.AppendSimulations(theta, x));
        var fromArrays = Train((npe, theta, x) =>
        {
            // Copies, not views: the arrays hold their own buffers (θ in C order, x in Fortran order, float64).
            using var th = theta.ToNDArray(copy: true);
            using var x64 = x.to_type(ScalarType.Float64).ToNDArray(copy: true);
            using var xf = np.asfortranarray(x64);
            Assert.That(xf.Shape.IsFContiguous && !xf.Shape.IsContiguous);
            return npe.AppendSimulations(th, xf);
        });
        Assert.That(fromTensors.EpochsTrained, Is.EqualTo(new[] { 3 }));
        Assert.That(fromArrays.TrainingLoss, Is.EqualTo(fromTensors.TrainingLoss), "same data, seed and batches: the same losses, bit for bit");
        Assert.That(fromArrays.ValidationLoss, Is.EqualTo(fromTensors.ValidationLoss));
        Assert.That(fromArrays.BestValidationLoss, Is.EqualTo(fromTensors.BestValidationLoss));
        Assert.That(fromArrays.EpochsTrained, Is.EqualTo(fromTensors.EpochsTrained));
    }

    [Test]
    public void FromNDArraysEqualsFromTensors()
    {
        using var scope = NewDisposeScope();
        var theta = randn(6, 2);
        var x = randn(6, 3, dtype: ScalarType.Float64);
        using var th = theta.ToNDArray(copy: true);
        using var xc = x.ToNDArray(copy: true);
        using var xs = np.asfortranarray(xc);
        using var fromArrays = SimulationData.FromNDArrays(th, xs);
        using var fromTensors = SimulationData.FromTensors(theta, x);
        Assert.That(fromArrays.Theta.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(fromArrays.X.dtype, Is.EqualTo(ScalarType.Float32), "float64 is cast as the core casts it");
        Assert.That(fromArrays.Theta.data<float>().ToArray(), Is.EqualTo(fromTensors.Theta.data<float>().ToArray()));
        Assert.That(fromArrays.X.data<float>().ToArray(), Is.EqualTo(fromTensors.X.data<float>().ToArray()));
        th.SetSingle(100f, 0, 0);
        Assert.That(fromArrays.Theta[0, 0].item<float>(), Is.Not.EqualTo(100f), "the data set owns its copy");
    }

    [Test]
    public void TheCoresErrorsComeThrough()
    {
        using var scope = NewDisposeScope();
        using var theta = np.zeros(new Shape(5, 2), NPTypeCode.Single);
        using var x4 = np.zeros(new Shape(4, 3), NPTypeCode.Single);
        using var flat = np.zeros(new Shape(5), NPTypeCode.Single);
        using var ints = np.zeros(new Shape(5, 3), NPTypeCode.Int64);
        var rows = Assert.Throws<ArgumentException>(() => SimulationData.FromNDArrays(theta, x4));
        Assert.That(rows!.Message, Does.Contain("theta has shape (5, 2) and x has shape (4, 3)").And.Contain("must be equal"));
        var rank = Assert.Throws<ArgumentException>(() => SimulationData.FromNDArrays(flat, x4));
        Assert.That(rank!.Message, Does.Contain("shape (5) has 1 dimensions; theta must be 2-D"));
        var dtype = Assert.Throws<ArgumentException>(() => SimulationData.FromNDArrays(theta, ints));
        Assert.That(dtype!.ParamName, Is.EqualTo("x"));
        Assert.That(dtype.Message, Does.Contain("x has dtype int64, shape (5, 3); expected float32 or float64"));

        using var prior = MultivariateNormal.Standard(2);
        var npe = Trainer(prior);
        Assert.That(Assert.Throws<ArgumentException>(() => npe.AppendSimulations(ints, theta))!.ParamName, Is.EqualTo("theta"));
        Assert.Throws<ArgumentException>(() => npe.AppendSimulations(theta, x4), "row counts differ");
        using var nanTheta = np.zeros(new Shape(5, 2), NPTypeCode.Double);
        nanTheta.SetDouble(double.NaN, 3, 1);
        using var x = np.ones(new Shape(5, 3), NPTypeCode.Double);
        var nan = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(nanTheta, x));
        Assert.That(nan!.ParamName, Is.EqualTo("theta"));
        Assert.That(nan.Message, Does.Contain("NaN or ±inf in 1 row(s), first row 3"));
    }

    [Test]
    public void NonFiniteXRowsAreCountedAsTheCoreCountsThem()
    {
        using var theta = np.zeros(new Shape(4, 2), NPTypeCode.Single);
        using var x = np.ones(new Shape(4, 3), NPTypeCode.Single);
        x.SetSingle(float.NaN, 1, 0);
        x.SetSingle(float.PositiveInfinity, 2, 2);
        using var data = SimulationData.FromNDArrays(theta, x);
        Assert.That((data.NanRowCount, data.InfRowCount, data.InvalidRowCount), Is.EqualTo((1L, 1L, 2L)));
    }
}
