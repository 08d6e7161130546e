using NUnit.Framework;
using Sbi.Bench.Sbibm;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Bench.Tests.Sbibm;

/// <summary>
/// The benchmark runner on a budget small enough for a unit test (two_moons, 1,000 simulations, 3 epochs, 300
/// samples against the trimmed 1,000-sample references): one row per observation with its timings, the files the
/// Python side reads, and the sequential path. The figures themselves come from <c>sbi-net bench sbibm</c> runs.
/// </summary>
public class SbibmBenchmarkTests
{
    private int _threads;
    private string _dir = "";
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);
    [SetUp] public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"sbibm-bench-{Guid.NewGuid():N}"));
    [TearDown] public void RemoveFolder() => Directory.Delete(_dir, true);

    private sealed class Recorder : ISbibmProgress
    {
        public List<string> Stages { get; } = [];
        public int Epochs { get; private set; }
        public List<SbibmRow> Rows { get; } = [];
        public void Stage(string task, int sims, string stage) => Stages.Add(stage);
        public void Epoch(int round, int epoch, double bestValidationLoss) => Epochs++;
        public void Scored(SbibmRow row) => Rows.Add(row);
    }

    [Test]
    public void OneRoundTrainsOnceAndScoresEachObservation()
    {
        using var task = new TwoMoons();
        using var reference = ReferenceData.Load(task);
        var progress = new Recorder();
        var bench = new SbibmBenchmark(task, reference, new SbibmNpeSettings { MaxEpochs = 2, NumSamples = 300, Seed = 4 })
        {
            SaveFolder = _dir, Progress = progress,
        };
        var rows = bench.Run(1000, [3, 1]);
        Assert.That(rows.Select(r => r.Observation), Is.EqualTo(new[] { 3, 1 }));
        Assert.That(progress.Rows, Is.EqualTo(rows));
        Assert.That(progress.Stages.Count(s => s == "training"), Is.EqualTo(1), "one training for the budget");
        Assert.That(progress.Epochs, Is.EqualTo(3), "max epochs 2: as sbi, 3 epochs run");
        foreach (var r in rows)
        {
            Assert.That(r.Task, Is.EqualTo("two_moons"));
            Assert.That((r.Sims, r.Rounds, r.Epochs, r.Seed), Is.EqualTo((1000, 1, 3, 4)));
            Assert.That(r.C2st, Is.InRange(0.0, 1.0));
            Assert.That(r.TrainingSeconds, Is.EqualTo(rows[0].TrainingSeconds), "the shared training, in every row");
            Assert.That(r.Seconds, Is.EqualTo(r.SimulationSeconds + r.TrainingSeconds + r.SamplingSeconds));
            Assert.That(new[] { r.SimulationSeconds, r.TrainingSeconds, r.SamplingSeconds, r.C2stSeconds }, Has.All.GreaterThan(0));
        }
        Assert.That(Npy.Read(Path.Combine(_dir, "two_moons_1000_theta.npy")).Shape, Is.EqualTo(new long[] { 1000, 2 }));
        Assert.That(Npy.Read(Path.Combine(_dir, "two_moons_1000_x.npy")).Shape, Is.EqualTo(new long[] { 1000, 2 }));
        Assert.That(Npy.Read(Path.Combine(_dir, "two_moons_1000_r1_obs3_samples.npy")).Shape, Is.EqualTo(new long[] { 300, 2 }));
        var csv = rows[0].ToCsv().Split(',');
        Assert.That(csv, Has.Length.EqualTo(SbibmRow.CsvHeader.Split(',').Length));
        Assert.That(SbibmRow.CsvHeader.Split(','), Is.SupersetOf(new[] { "task", "sims", "observation", "c2st", "seconds" }));
    }

    [Test]
    public void SequentialRunsTrainEachRoundPerObservation()
    {
        using var task = new TwoMoons();
        using var reference = ReferenceData.Load(task);
        var progress = new Recorder();
        var bench = new SbibmBenchmark(task, reference, new SbibmNpeSettings { MaxEpochs = 1, NumSamples = 200, Rounds = 2 }) { Progress = progress };
        var rows = bench.Run(200, [2]);
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0].Rounds, Is.EqualTo(2));
        Assert.That(rows[0].Epochs, Is.EqualTo(4), "two rounds of 2 epochs");
        Assert.That(progress.Stages.Count(s => s.EndsWith("training", StringComparison.Ordinal)), Is.EqualTo(2));
        Assert.That(progress.Stages, Does.Contain("observation 2: round 2 of 2, simulating 100"));
    }

    [Test]
    public void RefusesBudgetsAndObservationsItCannotRun()
    {
        using var task = new TwoMoons();
        using var reference = ReferenceData.Load(task);
        var bench = new SbibmBenchmark(task, reference, new SbibmNpeSettings { Rounds = 10 });
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => bench.Run(100, [1]))!.Message, Does.Contain("at least 200 simulations"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => bench.Run(1000, [11]))!.Message, Does.Contain("1 to 10"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SbibmBenchmark(task, reference, new SbibmNpeSettings { NumSamples = 0 }));
    }

    [Test]
    public void SummaryIsMeanAndSampleSd()
    {
        SbibmRow Row(int k, double c) => new("sbi-net", "slcp", 10_000, 1, k, c, 0, 0, 0, 0, 0, 0, 1);
        var s = SbibmSummary.Of([Row(1, 0.8), Row(2, 0.9), Row(3, 1.0)]);
        Assert.That(s.Mean, Is.EqualTo(0.9).Within(1e-12));
        Assert.That(s.Sd, Is.EqualTo(0.1).Within(1e-12));
        Assert.That(s.Published, Is.EqualTo(new PublishedC2st(0.901, 0.047)));
    }
}
