using System.Text.RegularExpressions;
using NUnit.Framework;
using Sbi.Plots.Tests;
using Sbi.Tracking;

namespace Sbi.Cli.Tests;

/// <summary>
/// train's --tracker and --log-dir: no logs unless asked, TensorBoard event files with one validation loss per epoch
/// where asked (in --log-dir or sbi's ./sbi-logs/NPE_B/&lt;ISO time&gt;), read back by `plot summary`.
/// </summary>
public class TrackerTests
{
    private static string[] Train(Workspace w, params string[] extra)
    {
        var (theta, x) = w.Simulations(200, 200);
        return ["train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", w["m.npz"], "--max-epochs", "3", "--batch-size", "20", .. extra];
    }

    [Test]
    public void LogDirGetsOneLossPerEpochAndPlotSummaryDrawsThem()
    {
        using var w = new Workspace();
        var logs = w["logs/run1"];
        var r = CliRun.Of(Train(w, "--tracker", "tensorboard", "--log-dir", logs));
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"wrote TensorBoard logs to {logs}"));
        int epochs = int.Parse(Regex.Match(r.Out, @"(\d+) epochs, best validation loss").Groups[1].Value);
        var scalars = TensorBoardEvents.ReadScalars(logs);
        Assert.That(scalars[TrackerTags.ValidationLoss].Select(p => p.Step), Is.EqualTo(Enumerable.Range(0, epochs).Select(i => (long)i)));
        Assert.That(scalars[TrackerTags.TrainingLoss], Has.Count.EqualTo(epochs));
        Assert.That(scalars[TrackerTags.EpochsTrained].Single().Value, Is.EqualTo(epochs));

        var png = w["loss.png"];
        var plot = CliRun.Of("plot", "summary", "--log-dir", logs, "--out", png);
        Assert.That(plot.Code, Is.EqualTo(0), plot.ToString());
        Assert.That(plot.Out, Does.Contain($"training_loss ({epochs} epochs) and validation_loss ({epochs} epochs)"));
        PngCheck.Decoded(png, 800, 500);
    }

    [Test]
    public void NoTrackerWritesNoLogsAndTensorboardAloneUsesSbisDefaultFolder()
    {
        using var w = new Workspace();
        var before = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(w.Root);
        try
        {
            var none = CliRun.Of(Train(w));
            Assert.That(none.Code, Is.EqualTo(0), none.ToString());
            Assert.That(Directory.Exists(w["sbi-logs"]), Is.False, "the default is no tracker");

            var r = CliRun.Of(Train(w, "--tracker", "tensorboard"));
            Assert.That(r.Code, Is.EqualTo(0), r.ToString());
            var runs = Directory.GetDirectories(Path.Combine(w.Root, "sbi-logs", "NPE_B"));
            Assert.That(runs, Has.Length.EqualTo(1));
            // Python's isoformat() with ':' as '_' (sbi's folder name); the fraction is left out when it is 0.
            Assert.That(Path.GetFileName(runs[0]), Does.Match(@"^\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}(\.\d{6})?$"));
            Assert.That(TensorBoardEvents.ReadScalars(runs[0]), Does.ContainKey(TrackerTags.ValidationLoss));
            Assert.That(r.Out, Does.Contain($"wrote TensorBoard logs to {runs[0]}"));
        }
        finally
        {
            Directory.SetCurrentDirectory(before);
        }
    }

    [Test]
    public void LogDirWithTrackerNoneOrAnUnknownTrackerIsAUsageError()
    {
        using var w = new Workspace();
        var none = CliRun.Of(Train(w, "--tracker", "none", "--log-dir", w["logs"]));
        Assert.That(none.Code, Is.EqualTo(2), none.ToString());
        Assert.That(none.Err, Does.StartWith($"sbi-net: error: --log-dir '{w["logs"]}' needs --tracker tensorboard; got --tracker none"));
        var unknown = CliRun.Of(Train(w, "--tracker", "wandb"));
        Assert.That(unknown.Code, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Err, Does.StartWith("sbi-net: error: --tracker must be one of tensorboard, none; got 'wandb'"));
        Assert.That(Directory.Exists(w["logs"]), Is.False);
    }

    [Test]
    public void ALogDirThatIsAFileIsRefusedBeforeTraining()
    {
        using var w = new Workspace();
        File.WriteAllText(w["logs"], "a file");
        var r = CliRun.Of(Train(w, "--log-dir", w["logs"]));
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith($"sbi-net: error: --log-dir: '{w["logs"]}' is a file; expected a folder"));
        Assert.That(r.Err, Does.Not.Contain("epoch 1"));
    }
}
