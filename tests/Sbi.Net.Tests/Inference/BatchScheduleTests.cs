using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

/// <summary>The internal split/batch-order replay the parity harness's lockstep case uses (NpeB.Schedule).</summary>
public class BatchScheduleTests
{
    private static long[] Perm(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(i => (long)i).OrderBy(_ => r.Next()).ToArray();
    }

    private static NpeB Trainer(BatchSchedule schedule) =>
        new(new BoxUniform(new float[] { -3, -3 }, new float[] { 3, 3 }),
            PosteriorNn.Build(new DensityEstimatorOptions { Model = "maf", HiddenFeatures = 8, NumTransforms = 1 }),
            showProgressBars: false, logger: NullLogger.Instance) { Schedule = schedule };

    [Test]
    public void LoaderReplaysTheGivenOrderInFullBatches()
    {
        using var scope = NewDisposeScope();
        var theta = arange(10, dtype: ScalarType.Float32).reshape(10, 1);
        var rows = tensor(new long[] { 1, 3, 5, 7, 9 });
        var loader = new SimulationLoader(theta, theta, ones(10, 1, dtype: ScalarType.Bool), rows, 2, CPU);
        var order = new long[] { 9, 1, 7, 3, 5 };
        loader.OrderSource = () => tensor(order);
        var seen = loader.IndexedBatches().SelectMany(b => b.Index.data<long>().ToArray()).ToArray();
        Assert.That(seen, Is.EqualTo(new long[] { 9, 1, 7, 3 }));          // drop_last: 5 is left out
        loader.OrderSource = () => null;                                      // no order: a random permutation
        Assert.That(loader.IndexedBatches().SelectMany(b => b.Index.data<long>().ToArray()).All(i => i % 2 == 1));
    }

    [Test]
    public void TrainReplaysSplitAndEveryEpochOrder()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var theta = randn(20, 2);
        var x = theta + 0.1 * randn_like(theta);
        var split = Perm(20, 1);
        var train = split[..18];
        var val = split[18..];
        // maxNumEpochs: 2 runs 3 epochs (sbi's rule); one training and one validation order each.
        var call = new BatchSchedule.Call(train, val, Enumerable.Range(0, 3).Select(e => train.OrderBy(i => (i * 7 + e * 5) % 18).ToArray()).ToList(),
                                          Enumerable.Range(0, 3).Select(e => e % 2 == 0 ? val : val.Reverse().ToArray()).ToList());
        var schedule = new BatchSchedule(new[] { call });
        var npe = Trainer(schedule);
        npe.AppendSimulations(theta, x).Train(trainingBatchSize: 6, maxNumEpochs: 2);
        Assert.That(npe.Summary.EpochsTrained, Is.EqualTo(new[] { 3 }));
        Assert.That(schedule.ReplayedOrders, Is.EqualTo(6));
        Assert.That(schedule.Fallbacks, Is.EqualTo(0), string.Join("; ", schedule.FallbackReasons));
        var (tl, vl) = npe.GetDataloaders(trainingBatchSize: 6, resumeTraining: true);
        Assert.That(tl.Indices.data<long>().ToArray(), Is.EqualTo(train));
        Assert.That(vl.Indices.data<long>().ToArray(), Is.EqualTo(val));
    }

    [Test]
    public void MissingOrMismatchedEntriesFallBackAndAreCounted()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var theta = randn(20, 2);
        var x = theta + 0.1 * randn_like(theta);
        var split = Perm(20, 2);
        // One recorded epoch for a 3-epoch training, and a split for 19 rows (does not fit 20).
        var fits = new BatchSchedule(new[] { new BatchSchedule.Call(split[..18], split[18..], new[] { split[..18] }, new[] { split[18..] }) });
        Trainer(fits).AppendSimulations(theta, x).Train(trainingBatchSize: 6, maxNumEpochs: 2);
        Assert.That(fits.ReplayedOrders, Is.EqualTo(2));
        Assert.That(fits.Fallbacks, Is.EqualTo(4));
        var wrong = new BatchSchedule(new[] { new BatchSchedule.Call(split[..17], split[17..19], new[] { split[..17] }, new[] { split[17..19] }) });
        var npe = Trainer(wrong);
        npe.AppendSimulations(theta, x).Train(trainingBatchSize: 6, maxNumEpochs: 1);
        Assert.That(wrong.FallbackReasons[0], Does.Contain("does not fit"));
        Assert.That(npe.Summary.EpochsTrained, Is.EqualTo(new[] { 2 }));   // trained on a random split instead
    }
}
