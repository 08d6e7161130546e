using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

public class NpeBTrainingTests
{
    private static (Tensor Theta, Tensor X) LinearGaussian(IDistribution prior, long n, double noise = 0.1)
    {
        var theta = prior.Sample(n);
        return (theta, theta + noise * randn_like(theta));
    }

    private static NpeB Trainer(IDistribution prior, ILogger? logger = null)
        => new(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 20, NumTransforms = 2 }), showProgressBars: false,
               logger: logger ?? NullLogger.Instance);

    [Test]
    public void EarlyStoppingKeepsTheBestEpoch()
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(0);
        using var prior = MultivariateNormal.Standard(2);
        var (theta, x) = LinearGaussian(prior, 400);
        var npe = Trainer(prior);
        var net = npe.AppendSimulations(theta, x).Train(trainingBatchSize: 40, stopAfterEpochs: 3, learningRate: 5e-3);
        var val = npe.Summary.ValidationLoss;
        int epochs = npe.Summary.EpochsTrained[0];
        // sbi's rule: best = first epoch with a strictly lower loss than all before; stop after 3 epochs without one.
        int best = 0;
        for (int i = 1; i < val.Count; i++) if (val[i] < val[best]) best = i;
        Assert.That(epochs, Is.EqualTo(best + 1 + 3));
        Assert.That(npe.Summary.BestValidationLoss[0], Is.EqualTo(val[best]));
        // The returned weights are the best epoch's: 40 validation rows = one full batch, so the loss is exact.
        var (_, valLoader) = (npe.GetDataloaders(trainingBatchSize: 40, resumeTraining: true));
        using var _ = no_grad();
        net.eval();
        var idx = valLoader.Indices;
        // The trainer's recorded loss (its own path: the fused kernel or the modules, a float64 sum of the batch) is as
        // close to the float64 loss of the returned weights as the modules' float32 mean is.
        var tv = theta.index_select(0, idx);
        var xv = x.index_select(0, idx);
        double recomputed = net.Loss(tv, xv).mean().item<float>();
        using var net64 = Float64.Copy(net);
        double exact = net64.Loss(tv.D(), xv.D()).mean().item<double>();
        Assert.That(Math.Abs(val[best] - exact), Is.LessThanOrEqualTo(Tolerances.Float32(Math.Abs(recomputed - exact), 40, exact)),
                    $"recorded {val[best]}, modules {recomputed}, float64 {exact}");
    }

    [Test]
    public void MaxNumEpochsRunsOneExtraEpochAsSbi()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var prior = MultivariateNormal.Standard(2);
        var (theta, x) = LinearGaussian(prior, 200);
        var npe = Trainer(prior);
        npe.AppendSimulations(theta, x).Train(maxNumEpochs: 3);
        Assert.That(npe.Summary.EpochsTrained[0], Is.EqualTo(4));
        Assert.That(npe.Summary.ValidationLoss.Count, Is.EqualTo(4));
        // A second round-0 training needs forceFirstRoundLoss or resumeTraining.
        Assert.Throws<InvalidOperationException>(() => npe.Train(maxNumEpochs: 1));
        npe.Train(maxNumEpochs: 1, resumeTraining: true);
        Assert.That(npe.Summary.EpochsTrained[1], Is.EqualTo(4), "resume keeps the cumulative epoch counter");
    }

    /// <summary>sbi's test_get_dataloaders: N = 1000, validation fraction 0.1, drop_last on both loaders.</summary>
    [TestCase(1)]
    [TestCase(10)]
    [TestCase(100)]
    public void DataloadersSplitLikeSbi(int batch)
    {
        using var scope = NewDisposeScope();
        using var prior = MultivariateNormal.Standard(2);
        var npe = Trainer(prior);
        npe.AppendSimulations(prior.Sample(1000), randn(1000, 3));
        var (train, val) = npe.GetDataloaders(trainingBatchSize: batch);
        Assert.That(val.Count * val.BatchSize, Is.EqualTo(100));
        Assert.That(train.Rows, Is.EqualTo(900));
        Assert.That(train.Batches().Count(), Is.EqualTo(900 / batch));
        // the two index sets partition the rows
        var all = cat(new[] { train.Indices, val.Indices }).sort().Values;
        Assert.That(all.eq(arange(1000)).all().item<bool>());
    }

    [Test]
    public void DiscardPriorSamplesAndCalibrationKernelAreApplied()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        using var proposal = new MultivariateNormal(zeros(2), eye(2));
        var npe = Trainer(prior);
        npe.AppendSimulations(prior.Sample(300), randn(300, 2), prior);
        npe.Train(maxNumEpochs: 1);
        var th = proposal.Sample(200).clamp(-1.9, 1.9);
        npe.AppendSimulations(th, th + 0.1 * randn_like(th), proposal);
        npe.Train(maxNumEpochs: 1, discardPriorSamples: true);
        var (trainLoader, valLoader) = npe.GetDataloaders(startingRound: 1, resumeTraining: true);
        Assert.That(trainLoader.Rows + valLoader.Rows, Is.EqualTo(200), "round-0 rows are left out");
        // A calibration kernel of 0 makes every loss 0.
        npe.Train(maxNumEpochs: 1, calibrationKernel: x => zeros(x.shape[0]), forceFirstRoundLoss: true);
        Assert.That(npe.Summary.TrainingLoss[^1], Is.EqualTo(0.0));
        Assert.That(npe.Summary.ValidationLoss[^1], Is.EqualTo(0.0));
    }

    [Test]
    public void BadInputsRaiseNamedErrors()
    {
        using var scope = NewDisposeScope();
        using var prior = MultivariateNormal.Standard(2);
        var logger = new ListLogger();
        var npe = Trainer(prior, logger);
        Assert.That(Assert.Throws<InvalidOperationException>(() => npe.Train())!.Message, Does.Contain("before AppendSimulations"));
        var e = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(zeros(5, 2), zeros(4, 2)))!;
        Assert.That(e.Message, Does.Contain("5").And.Contain("4"));
        e = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(zeros(5, 3), zeros(5, 2)))!;
        Assert.That(e.Message, Does.Contain("dimension 2").And.Contain("3"));
        var nanTheta = zeros(5, 2); nanTheta[1, 0] = tensor(float.NaN);
        Assert.That(Assert.Throws<ArgumentException>(() => npe.AppendSimulations(nanTheta, zeros(5, 2)))!.ParamName, Is.EqualTo("theta"));
        Assert.Throws<ArgumentException>(() => npe.AppendSimulations(zeros(3, 2), full(3, 2, float.NaN)));

        // NaN/inf rows in x are dropped in round 0 with a count in the log.
        var x = randn(20, 2); x[3, 1] = tensor(float.NaN); x[7, 0] = tensor(float.PositiveInfinity);
        npe.AppendSimulations(randn(20, 2), x);
        Assert.That(npe.GetSimulations().Theta.shape[0], Is.EqualTo(18));
        Assert.That(logger.Warnings.Any(w => w.Contains("1 NaN simulations and 1 Inf simulations")), string.Join("|", logger.Warnings));

        var tiny = Trainer(prior);
        tiny.AppendSimulations(randn(1, 2), randn(1, 2));
        Assert.That(Assert.Throws<ArgumentException>(() => tiny.Train())!.Message, Does.Contain("too few simulations"));
        Assert.Throws<ArgumentOutOfRangeException>(() => npe.Train(validationFraction: 1.0));
    }

    [Test]
    public void LaterRoundsRejectInvalidX()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        using var other = new BoxUniform(new float[] { -1, -1 }, new float[] { 1, 1 });
        var npe = Trainer(prior);
        var x = randn(20, 2); x[0, 0] = tensor(float.NaN);
        // sbi's test_multiround_raises_on_invalid_x: a non-prior proposal makes this round 1.
        var e = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(other.Sample(20), x, other));
        Assert.That(e!.Message, Does.Contain("does not allow invalid simulations"));
    }

    [Test]
    public void NonFiniteLossStopsWithTheEpochAndKeepsTheBestWeights()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var prior = MultivariateNormal.Standard(2);
        var (theta, x) = LinearGaussian(prior, 300);
        FaultyEstimator? faulty = null;
        var npe = new NpeB(prior, (t, xs) => faulty = new FaultyEstimator(PosteriorNn.Build("maf")(t, xs), failAfterCalls: 60),
                           showProgressBars: false, logger: NullLogger.Instance);
        var snapshots = new List<Dictionary<string, Tensor>>();
        npe.EpochCompleted += _ => snapshots.Add(StateDictLoader.Snapshot(faulty!));
        npe.AppendSimulations(theta, x);
        var e = Assert.Throws<NonFiniteLossException>(() => npe.Train(trainingBatchSize: 50));
        // One smoke-test call at build time, then 5 training + 1 validation batch per epoch (270/50 and 30/30 rows):
        // call 61 is the validation batch of epoch 10.
        Assert.That(e!.Epoch, Is.EqualTo(10));
        Assert.That(npe.Summary.ValidationLoss.Count, Is.EqualTo(9));
        var val = npe.Summary.ValidationLoss;
        int best = 0;
        for (int i = 1; i < val.Count; i++) if (val[i] < val[best]) best = i;
        foreach (var (k, v) in faulty!.state_dict())
            Assert.That(v.eq(snapshots[best][k]).all().item<bool>(), $"{k} differs from the best epoch's weights");
    }

    /// <summary>Wraps an estimator and returns NaN log-densities after a number of calls.</summary>
    private sealed class FaultyEstimator : ConditionalDensityEstimator
    {
        private readonly ConditionalDensityEstimator inner;
        private readonly int _failAfter;
        private int _calls;

        public FaultyEstimator(ConditionalDensityEstimator inner, int failAfterCalls) : base(nameof(FaultyEstimator), inner.Config)
        {
            this.inner = inner;
            _failAfter = failAfterCalls;
            register_module("inner", inner);
        }

        public override Tensor LogProbPaired(Tensor theta, Tensor x)
        {
            var lp = inner.LogProbPaired(theta, x);
            return ++_calls > _failAfter ? lp * float.NaN : lp;
        }

        public override Tensor Sample(long numSamples, Tensor x) => inner.Sample(numSamples, x);
    }
}
