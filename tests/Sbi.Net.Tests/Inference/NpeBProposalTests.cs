using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Posteriors;
using Sbi.Potentials;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

/// <summary>NPE-B takes any <see cref="IPosterior"/> as a round's proposal, not only a <see cref="DirectPosterior"/>.</summary>
public class NpeBProposalTests
{
    /// <summary>A user's posterior type: delegates to a direct posterior and counts the density evaluations asked of it.</summary>
    private sealed class CountingPosterior(DirectPosterior inner) : IPosterior
    {
        public int LogProbCalls { get; private set; }
        public IDistribution Prior => inner.Prior;
        public BasePotential Potential => inner.Potential;
        public IBijector ThetaTransform => inner.ThetaTransform;
        public Tensor? DefaultX => inner.DefaultX;
        public IPosterior SetDefaultX(Tensor x) { inner.SetDefaultX(x); return this; }
        public Tensor Sample(long n, Tensor? x = null) => inner.Sample(n, x);
        public Tensor SampleBatched(long n, Tensor xs) => inner.SampleBatched(n, xs);
        public Tensor LogProb(Tensor theta, Tensor? x = null) { LogProbCalls++; return inner.LogProb(theta, x); }
        public Tensor LogProb(Tensor theta) => LogProb(theta, null);
        public Tensor Map(int numIter = 1000, int numToOptimize = 100, double learningRate = 0.01, int numInitSamples = 1000,
                          int saveBestEvery = 10, bool forceUpdate = false, Tensor? inits = null)
            => inner.Map(numIter, numToOptimize, learningRate, numInitSamples, saveBestEvery, forceUpdate, inits);
    }

    private static (NpeB Npe, BoxUniform Prior, Tensor Theta) TrainedRoundZero(int n)
    {
        manual_seed(2);
        var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 1 }),
                           showProgressBars: false, logger: NullLogger.Instance);
        var theta = prior.Sample(n);
        npe.AppendSimulations(theta, theta + 0.3 * randn_like(theta)).Train(maxNumEpochs: 2, trainingBatchSize: 50);
        return (npe, prior, theta);
    }

    /// <summary>
    /// A second round drawn from a custom posterior trains with NPE-B's weights computed from that posterior's
    /// density: the trainer asks it for log-densities, and the importance weights it implies equal those computed
    /// from the wrapped direct posterior (same values, float32 formula of the weight computation: bitwise equal).
    /// </summary>
    [Test]
    public void ACustomPosteriorIsAcceptedAndItsDensityWeighsTheLoss()
    {
        using var scope = NewDisposeScope();
        var (npe, prior, _) = TrainedRoundZero(300);
        var direct = (DirectPosterior)npe.BuildPosterior();
        var proposal = new CountingPosterior(direct);
        proposal.SetDefaultX(tensor(new float[] { 0.5f, -0.5f }));
        var theta2 = proposal.Sample(200);
        npe.AppendSimulations(theta2, theta2 + 0.3 * randn_like(theta2), proposal: proposal);
        npe.Train(maxNumEpochs: 2, trainingBatchSize: 50);
        Assert.That(npe.Round, Is.EqualTo(1), "the custom posterior's block is a later round");
        Assert.That(proposal.LogProbCalls, Is.GreaterThan(0), "the loss evaluated the proposal's density");
        Assert.That(npe.Summary.TrainingLoss.All(double.IsFinite));

        var counts = new long[] { 300, 200 };
        var viaCustom = NpeB.ImportanceWeights(theta2, prior, new IDensity?[] { prior, proposal }, counts);
        var viaDirect = NpeB.ImportanceWeights(theta2, prior, new IDensity?[] { prior, direct }, counts);
        Assert.That(viaCustom.eq(viaDirect).all().item<bool>(), "the same density gives the same weights");
    }

    [Test]
    public void APosteriorWithoutADefaultXIsRefusedByName()
    {
        using var scope = NewDisposeScope();
        var (npe, _, theta) = TrainedRoundZero(100);
        var proposal = new CountingPosterior((DirectPosterior)npe.BuildPosterior());
        var ex = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(theta, theta, proposal: proposal));
        Assert.That(ex!.ParamName, Is.EqualTo("proposal"));
        Assert.That(ex.Message, Does.Contain("SetDefaultX"));
    }
}
