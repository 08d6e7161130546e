using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>Usage errors: exit 2, one "sbi-net: error:" line naming the option, a hint to --help, no stack trace, no work done.</summary>
public class UsageErrorTests
{
    private static void AssertUsageError(CliRun r, string mustMention)
    {
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: "), r.ToString());
        Assert.That(r.Err, Does.Contain(mustMention), r.ToString());
        Assert.That(r.Err, Does.Contain("--help"), r.ToString());
        Assert.That(r.HasStackTrace, Is.False, r.ToString());
    }

    private static string[] Train(Workspace w, params string[] extra)
    {
        var (theta, x) = w.Simulations(50, 50);
        return ["train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", w["model.npz"], .. extra];
    }

    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("100000")]
    public void ThreadsOutsideOneToTheCoreCountAreRefusedAtParseTime(string threads)
    {
        using var w = new Workspace();
        var r = CliRun.Of(Train(w, "--threads", threads));
        AssertUsageError(r, $"--threads must be between 1 and {Environment.ProcessorCount}");
        Assert.That(r.Err, Does.Contain($"got {threads}"));
        Assert.That(File.Exists(w["model.npz"]), Is.False);
    }

    [TestCase("--lr", "abc", "--lr must be a finite number; got 'abc'")]
    [TestCase("--lr", "0", "--lr must be greater than 0")]
    [TestCase("--lr", "NaN", "--lr must be a finite number")]
    [TestCase("--seed", "1.5", "--seed must be an integer; got '1.5'")]
    [TestCase("--batch-size", "0", "--batch-size must be at least 1; got 0")]
    [TestCase("--max-epochs", "-3", "--max-epochs must be at least 1; got -3")]
    [TestCase("--validation-fraction", "1", "--validation-fraction must lie strictly between 0 and 1")]
    [TestCase("--estimator", "flow", "--estimator must be one of maf, nsf, mdn, made; got 'flow'")]
    public void MalformedOrOutOfRangeTrainValuesNameTheOption(string option, string value, string message)
    {
        using var w = new Workspace();
        AssertUsageError(CliRun.Of(Train(w, option, value)), message);
    }

    [TestCase("-n", "ten", "-n must be an integer; got 'ten'")]
    [TestCase("-n", "0", "-n must be at least 1; got 0")]
    [TestCase("--n", "99999999999", "-n must be an integer; got '99999999999'")]
    [TestCase("--max-sampling-time", "-1", "--max-sampling-time must be greater than 0")]
    [TestCase("--x", "1,two", "--x: 'two' is not a finite number")]
    public void MalformedSampleValuesNameTheOption(string option, string value, string message)
    {
        AssertUsageError(CliRun.Of("sample", "--model", "m.npz", option, value), message);
    }

    [Test]
    public void BenchThreadListsAreCheckedPerValue()
    {
        AssertUsageError(CliRun.Of("bench", "sample", "--threads", "1,0"), "--threads: every value must be between 1 and");
        AssertUsageError(CliRun.Of("bench", "gpu", "--batches", "200,x"), "--batches must be comma-separated integers");
    }

    [Test]
    public void AnUnknownOptionIsAUsageError()
    {
        using var w = new Workspace();
        AssertUsageError(CliRun.Of(Train(w, "--epochs", "3")), "'--epochs'");
    }

    [Test]
    public void AnUnknownCommandOrNoCommandIsAUsageError()
    {
        AssertUsageError(CliRun.Of("fit"), "'fit'");
        AssertUsageError(CliRun.Of(), "command");
        AssertUsageError(CliRun.Of("bench"), "command");
    }

    [TestCase("boxx:0,1", "--prior must be box:LOW,HIGH or normal[:MEAN,STD]; got 'boxx:0,1'")]
    [TestCase("box:0", "--prior box needs LOW,HIGH")]
    [TestCase("box:1,0", "the lower bound 1 is not below the upper bound 0")]
    [TestCase("box:0,a", "'a' is not a finite number")]
    [TestCase("normal:0,-1", "every STD must be positive")]
    public void ABadPriorIsRefusedAtParseTime(string prior, string message)
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(50, 50);
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--x", x, "--prior", prior, "--out", w["model.npz"]), message);
    }

    [Test]
    public void TrainNeedsThetaAndXOrData()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(50, 50);
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--prior", "box:0,1", "--out", w["m.npz"]), "give either --theta and --x");
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--x", x, "--data", theta, "--prior", "box:0,1", "--out", w["m.npz"]), "give either --theta and --x");
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--x", x, "--out", w["m.npz"]), "--prior");
    }

    [Test]
    public void OutEqualToAnInputIsRefusedAndTheInputKept()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(50, 50);
        var before = File.ReadAllBytes(x);
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", x), "would overwrite the input --x");
        if (OperatingSystem.IsWindows()) Assert.Ignore("symbolic links need a privilege on Windows");
        // The same file under other names: a symbolic link to it, and a path through a linked folder.
        var link = w["link.npy"];
        File.CreateSymbolicLink(link, theta);
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", link), "would overwrite the input --theta");
        Assert.That(File.ReadAllBytes(x), Is.EqualTo(before));
        var folderLink = w["folder-link"];
        Directory.CreateSymbolicLink(folderLink, w.Root);
        AssertUsageError(CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", Path.Combine(folderLink, "x.npy")),
                         "would overwrite the input --x");
    }

    [Test]
    public void ExportRefusesAPackageFolderThatHoldsTheModel()
    {
        using var w = new Workspace();
        File.WriteAllBytes(w["model.npz"], [1, 2, 3]);
        AssertUsageError(CliRun.Of("export", "--model", w["model.npz"], "--out", w.Root), "would overwrite the input --model");
    }

}
