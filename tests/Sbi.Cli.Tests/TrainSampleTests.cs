using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// Checks that need the data or a model: --prior and --x-o against the data's shapes before training, the output
/// folder created, samples replaced atomically, and the sampling time limit.
/// </summary>
public class TrainSampleTests
{
    private static string[] Train(string theta, string x, string output, params string[] extra) =>
        ["train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", output, "--max-epochs", "2", "--batch-size", "20", .. extra];

    [Test]
    public void AnXoThatDoesNotMatchTheDataFailsBeforeTraining()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(2000, 2000);
        string[] args = ["train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", w["m.npz"], "--x-o", "0.5,0.5,0.5"];
        // The first run in a process pays for loading libtorch; the second shows what the check costs.
        CliRun.Of(args);
        var r = CliRun.Of(args);
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --x-o has 3 value(s), but the data's x has 2"));
        Assert.That(r.Err, Does.Not.Contain("epoch 1"), "no training started");
        Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "the brief's bound: refused before training");
        Assert.That(File.Exists(w["m.npz"]), Is.False);
    }

    [Test]
    public void APriorOfTheWrongDimensionFailsBeforeTraining()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(100, 100);
        var r = CliRun.Of(["train", "--theta", theta, "--x", x, "--prior", "box:0;0;0,1;1;1", "--out", w["m.npz"]]);
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --prior 'box:0;0;0,1;1;1': 3 values for the data's 2-dimensional θ"));
        Assert.That(r.Err, Does.Not.Contain("epoch 1"));
    }

    [Test]
    public void TrainThenSampleReplacesTheSamplesFileWhole()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(200, 200);
        var model = Path.Combine(w["new-folder"], "deeper", "m.npz");
        var t = CliRun.Of(Train(theta, x, model, "--x-o", "0.5,0.5"));
        Assert.That(t.Code, Is.EqualTo(0), t.ToString());
        Assert.That(t.Out, Does.Contain($"wrote {model}"));
        Assert.That(t.Err, Does.Contain("epoch 1: training loss"));

        var samples = w["s.npy"];
        File.WriteAllText(samples, "old content");
        var s = CliRun.Of("sample", "--model", model, "-n", "300", "--out", samples, "--seed", "3");
        Assert.That(s.Code, Is.EqualTo(0), s.ToString());
        var a = Npy.Read(samples);
        Assert.That(a.Shape, Is.EqualTo(new long[] { 300, 2 }));
        Assert.That(Directory.GetFiles(w.Root, "*.tmp"), Is.Empty, "no temporary file left behind");

        var again = CliRun.Of("sample", "--model", model, "-n", "300", "--out", model);
        Assert.That(again.Code, Is.EqualTo(2), again.ToString());
        Assert.That(again.Err, Does.Contain("would overwrite the input --model"));
        var wrongX = CliRun.Of("sample", "--model", model, "--x", "1,2,3", "--out", samples);
        Assert.That(wrongX.Code, Is.EqualTo(2), wrongX.ToString());
        Assert.That(wrongX.Err, Does.StartWith("sbi-net: error: --x has 3 value(s), but the model's x has 2"));
    }

    [Test]
    public void SamplingWhereThePosteriorMissesThePriorStopsAtTheTimeLimit()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(200, 200);
        var model = w["m.npz"];
        Assert.That(CliRun.Of(Train(theta, x, model)).Code, Is.EqualTo(0));
        // x far outside anything simulated: the flow's mass lies outside the box prior and almost every draw is rejected.
        var r = CliRun.Of("sample", "--model", model, "--x", "40,40", "-n", "1000000", "--out", w["s.npy"], "--max-sampling-time", "0.5");
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: Posterior sampling exceeded maxSamplingTime").And.Contain("unlikely under the trained posterior"));
        Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "stopped by the limit, not by finishing");
        Assert.That(File.Exists(w["s.npy"]), Is.False);
    }

    [Test]
    public void OnnxSamplingWhereThePosteriorMissesThePriorStopsAtTheTimeLimit()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(200, 200);
        var model = w["m.npz"];
        Assert.That(CliRun.Of(Train(theta, x, model)).Code, Is.EqualTo(0));
        Assert.That(CliRun.Of("export", "--model", model, "--out", w["pkg"]).Code, Is.EqualTo(0));
        var r = CliRun.Of("sample", "--package", w["pkg"], "--x", "40,40", "-n", "1000000", "--out", w["s.npy"], "--max-sampling-time", "0.5");
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: ").And.Contain("unlikely under the trained posterior"));
        Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "stopped by the limit, not by finishing");
        Assert.That(File.Exists(w["s.npy"]), Is.False);
    }
}
