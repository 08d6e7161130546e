using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Testing;
using Sbi.Tracking;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

/// <summary>
/// The trainer's tracker wiring (sbi/inference/trainers/base.py, <c>_summarize</c>) and the rest of sbi's trainer
/// surface: <c>summary</c>, <c>show_train_summary</c>, <c>get_dataloaders</c>. Event-file values are compared exactly
/// with the float32 rounding of the in-memory summary (TensorBoard's simple_value is a float32).
/// </summary>
public class TrainerTrackingTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-track-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    private static DensityEstimatorBuilder SmallMaf => PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 10, NumTransforms = 1 });

    [Test]
    public void TwoRoundsAndAResumeWriteSbisTagsAndStepsToTensorBoard()
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(0);
        using var prior = MultivariateNormal.Standard(2);
        var run = Path.Combine(_dir, "run");
        var log = new ListLogger();
        var npe = new NpeB(prior, SmallMaf, showProgressBars: false, logger: log,
                           tracker: new TensorBoardTracker(run));
        Assert.That(npe.Tracker.LogDir, Is.EqualTo(run));
        var theta = prior.Sample(200);
        npe.AppendSimulations(theta, theta + 0.1 * randn_like(theta)).Train(maxNumEpochs: 2, showTrainSummary: true);
        var xo = zeros(1, 2);
        var proposal = npe.BuildPosterior().SetDefaultX(xo);
        var theta1 = proposal.Sample(200);
        npe.AppendSimulations(theta1, theta1 + 0.1 * randn_like(theta1), proposal).Train(maxNumEpochs: 1);
        npe.Train(maxNumEpochs: 3, resumeTraining: true);   // continues round 1's counter: epochs 2 and 3 of that call
        // A fresh call after the resume: sbi would start its epochs at 3 + 2 + 4 = 9 of 9 and log none of them.
        npe.Train(maxNumEpochs: 1, forceFirstRoundLoss: true);

        var s = npe.Summary;
        Assert.That(s.EpochsTrained, Is.EqualTo(new[] { 3, 2, 4, 2 }), "maxNumEpochs + 1 epochs per call (sbi), cumulative on resume");
        Assert.That(s.ValidationLoss, Has.Count.EqualTo(3 + 2 + 2 + 2));

        var scalars = TensorBoardEvents.ReadScalars(run);
        Assert.That(scalars.Keys, Is.EquivalentTo(TrainingSummary.Keys), "exactly sbi's five tags");
        // Per Train call, at step round + 1 (the later calls are all round 1).
        Assert.That(scalars[TrackerTags.EpochsTrained].Select(p => (p.Step, p.Value)), Is.EqualTo(new[] { (1L, 3.0), (2L, 2.0), (2L, 4.0), (2L, 2.0) }));
        Assert.That(scalars[TrackerTags.BestValidationLoss].Select(p => p.Step), Is.EqualTo(new long[] { 1, 2, 2, 2 }));
        Assert.That(scalars[TrackerTags.BestValidationLoss].Select(p => p.Value), Is.EqualTo(s.BestValidationLoss.Select(v => (double)(float)v)));
        // Per epoch, at the epoch's index over all calls, every epoch once.
        foreach (var (tag, values) in new[] { (TrackerTags.ValidationLoss, s.ValidationLoss), (TrackerTags.TrainingLoss, s.TrainingLoss),
                                              (TrackerTags.EpochDurationsSec, s.EpochDurationsSec) })
        {
            Assert.That(scalars[tag].Select(p => p.Step), Is.EqualTo(Enumerable.Range(0, values.Count).Select(i => (long)i)), tag);
            Assert.That(scalars[tag].Select(p => p.Value), Is.EqualTo(values.Select(v => (double)(float)v)), tag);
        }
        Assert.That(s.EpochDurationsSec.All(d => d > 0), "durations are measured");

        // show_train_summary: sbi's round description after the first call only.
        var described = log.Infos.Where(m => m.Contains("STATS")).ToList();
        Assert.That(described, Has.Count.EqualTo(1));
        Assert.That(described[0], Does.Contain("||||| ROUND 1 STATS |||||:").And.Contain("Epochs trained: 3")
                                      .And.Contain($"Best validation performance: {s.BestValidationLoss[0].ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}"));
    }

    [Test]
    public void WithoutATrackerNothingIsWrittenAndTheDefaultIsAskedFor()
    {
        using var scope = NewDisposeScope();
        using var prior = MultivariateNormal.Standard(2);
        var npe = new NpeB(prior, SmallMaf, showProgressBars: false, logger: NullLogger.Instance);
        Assert.That(npe.Tracker, Is.SameAs(NullTracker.Instance));
        Assert.That(npe.Tracker.LogDir, Is.Null);
        Assert.That(npe.MethodName, Is.EqualTo("NPE_B"), "sbi's class name names the default folder");
        var root = Path.Combine(_dir, "sbi-logs");
        var tracker = npe.DefaultTracker(root);
        Assert.That(Path.GetDirectoryName(tracker.LogDir), Is.EqualTo(Path.Combine(root, "NPE_B")));

        manual_seed(1);
        var theta = prior.Sample(100);
        var asked = new NpeB(prior, SmallMaf, showProgressBars: false, logger: NullLogger.Instance, tracker: tracker);
        asked.AppendSimulations(theta, theta + 0.1 * randn_like(theta)).Train(maxNumEpochs: 1);
        Assert.That(TensorBoardEvents.ReadScalars(tracker.LogDir!)[TrackerTags.EpochsTrained].Single().Value, Is.EqualTo(2.0));
    }

    [Test]
    public void SummaryWriterIsSbisAliasAndNotTogetherWithATracker()
    {
        using var prior = MultivariateNormal.Standard(2);
        var writer = TorchSharp.torch.utils.tensorboard.SummaryWriter(Path.Combine(_dir, "w"));
        var npe = new NpeB(prior, SmallMaf, showProgressBars: false, logger: NullLogger.Instance, summaryWriter: writer);
        Assert.That(npe.Tracker, Is.TypeOf<TensorBoardTracker>());
        Assert.That(((TensorBoardTracker)npe.Tracker).Writer, Is.SameAs(writer));
        var e = Assert.Throws<ArgumentException>(() => new NpeB(prior, "maf", tracker: new TensorBoardTracker(Path.Combine(_dir, "t")), summaryWriter: writer))!;
        Assert.That(e.ParamName, Is.EqualTo("summaryWriter"));
        Assert.That(e.Message, Does.Contain("only one"));
    }

    [Test]
    public void SummaryGivesSbisKeysAndDescribesARound()
    {
        var s = new TrainingSummary();
        Assert.That(TrainingSummary.Keys, Is.EqualTo(new[] { "epochs_trained", "best_validation_loss", "validation_loss", "training_loss", "epoch_durations_sec" }));
        Assert.Throws<InvalidOperationException>(() => s.DescribeRound(0));
        s.EpochsTrained.Add(12);
        s.BestValidationLoss.Add(-1.234567);
        s.ValidationLoss.AddRange(new[] { 1.0, 0.5 });
        s.TrainingLoss.AddRange(new[] { 2.0, 0.7 });
        s.EpochDurationsSec.AddRange(new[] { 0.1, 0.2 });
        Assert.That(s["epochs_trained"], Is.EqualTo(new[] { 12.0 }));
        Assert.That(s.ToDictionary()["training_loss"], Is.EqualTo(new[] { 2.0, 0.7 }));
        Assert.That(s.ToDictionary().Keys, Is.EqualTo(TrainingSummary.Keys));
        var e = Assert.Throws<ArgumentException>(() => _ = s["loss"])!;
        Assert.That(e.ParamName, Is.EqualTo("key"));
        Assert.That(e.Message, Does.Contain("validation_loss"));
        Assert.That(s.DescribeRound(2).Split(Environment.NewLine), Is.EqualTo(new[]
        {
            "-------------------------", "||||| ROUND 3 STATS |||||:", "-------------------------",
            "Epochs trained: 12", "Best validation performance: -1.2346", "-------------------------",
        }));
    }

    [Test]
    public void GetDataloadersKeepsTheSplitOnResumeWithTheNewBatchSize()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var prior = MultivariateNormal.Standard(2);
        var npe = new NpeB(prior, SmallMaf, showProgressBars: false, logger: NullLogger.Instance);
        var ex = Assert.Throws<InvalidOperationException>(() => npe.GetDataloaders());
        Assert.That(ex!.Message, Does.Contain("AppendSimulations"));
        npe.AppendSimulations(prior.Sample(100), randn(100, 2));
        Assert.That(Assert.Throws<InvalidOperationException>(() => npe.GetDataloaders(resumeTraining: true))!.Message, Does.Contain("earlier"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => npe.GetDataloaders(trainingBatchSize: 0))!.ParamName, Is.EqualTo("trainingBatchSize"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => npe.GetDataloaders(validationFraction: 0))!.ParamName, Is.EqualTo("validationFraction"));

        var (train, val) = npe.GetDataloaders(trainingBatchSize: 30, validationFraction: 0.2);
        Assert.That((train.Rows, train.BatchSize, train.Count), Is.EqualTo((80L, 30L, 2L)), "⌊0.8·100⌋ rows, full batches only");
        Assert.That((val.Rows, val.BatchSize, val.Count), Is.EqualTo((20L, 20L, 1L)), "batch = min(30, 20)");
        var trainRows = train.Indices.data<long>().ToArray();
        var (train2, val2) = npe.GetDataloaders(trainingBatchSize: 8, resumeTraining: true);
        Assert.That(train2.Indices.data<long>().ToArray(), Is.EqualTo(trainRows), "resuming keeps the split");
        Assert.That((train2.BatchSize, val2.BatchSize), Is.EqualTo((8L, 8L)), "with this call's batch size, as sbi");
        var (train3, _) = npe.GetDataloaders(trainingBatchSize: 30, validationFraction: 0.2);
        Assert.That(train3.Indices.data<long>().ToArray(), Is.Not.EqualTo(trainRows), "a call without resume draws a new split");
        // Train uses the same split source: a resumed training after GetDataloaders trains on the split it gave.
        npe.Train(maxNumEpochs: 1, trainingBatchSize: 30, validationFraction: 0.2);
        var split = npe.GetDataloaders(resumeTraining: true).Train.Indices.data<long>().ToArray();
        npe.Train(maxNumEpochs: 1, resumeTraining: true, trainingBatchSize: 40);
        Assert.That(npe.GetDataloaders(resumeTraining: true).Train.Indices.data<long>().ToArray(), Is.EqualTo(split));
    }
}
