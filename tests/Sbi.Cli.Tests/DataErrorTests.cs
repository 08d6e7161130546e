using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>Bad data and file-system failures: exit 1, one "sbi-net: error:" line naming the file, no stack trace unless --verbose.</summary>
public class DataErrorTests
{
    private static void AssertDataError(CliRun r, params string[] mustMention)
    {
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: "), r.ToString());
        foreach (var m in mustMention) Assert.That(r.Err, Does.Contain(m), r.ToString());
        Assert.That(r.HasStackTrace, Is.False, r.ToString());
    }

    [Test]
    public void MismatchedRowCountsAreADataError()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(1000, 900);
        var r = CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", w["model.npz"]);
        AssertDataError(r, "1000", "900");
        Assert.That(File.Exists(w["model.npz"]), Is.False);
    }

    [Test]
    public void ATorchPtFileIsNotAModelFile()
    {
        var pt = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "f32_2x3.pt");
        using var w = new Workspace();
        AssertDataError(CliRun.Of("sample", "--model", pt, "-n", "10", "--out", w["s.npy"]), "f32_2x3.pt");
        Assert.That(File.Exists(w["s.npy"]), Is.False);
    }

    [Test]
    public void GarbageInAModelFileIsADataError()
    {
        using var w = new Workspace();
        File.WriteAllText(w["model.npz"], "PK\u0003\u0004 not a zip");
        AssertDataError(CliRun.Of("sample", "--model", w["model.npz"], "-n", "10", "--out", w["s.npy"]), "model.npz");
        AssertDataError(CliRun.Of("export", "--model", w["model.npz"], "--out", w["pkg"]), "model.npz");
    }

    [Test]
    public void AMissingInputFileNamesTheOptionAndThePath()
    {
        using var w = new Workspace();
        var (_, x) = w.Simulations(50, 50);
        AssertDataError(CliRun.Of("train", "--theta", w["nope.npy"], "--x", x, "--prior", "box:0,1", "--out", w["m.npz"]), "--theta", "nope.npy", "does not exist");
        AssertDataError(CliRun.Of("sample", "--model", w["nope.npz"]), "--model", "nope.npz");
        AssertDataError(CliRun.Of("sample", "--package", w["no-pkg"], "--x", "1,2"), "--package", "no-pkg");
        AssertDataError(CliRun.Of("export", "--model", w["nope.npz"], "--out", w["pkg"]), "--model", "nope.npz");
    }

    [Test]
    public void AnOutputFolderThatCannotBeCreatedIsRefusedBeforeWork()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(50, 50);
        File.WriteAllText(w["file"], "a file, not a folder");
        var r = CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", Path.Combine(w["file"], "sub", "m.npz"));
        AssertDataError(r, "--out", "is a file, not a folder");
        Assert.That(r.Out, Does.Not.Contain("loaded"), "the check comes before loading the data");
    }

    [Test]
    public void AnUnwritableOutputFolderIsRefusedBeforeWork()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("POSIX permissions");
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root")
            Assert.Ignore("root writes into read-only folders; run as another user to check this");
        using var w = new Workspace();
        var (theta, x) = w.Simulations(50, 50);
        var ro = w["read-only"];
        Directory.CreateDirectory(ro);
        if (OperatingSystem.IsWindows()) Assert.Ignore("Unix file modes only");
        else File.SetUnixFileMode(ro, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        AssertDataError(CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", Path.Combine(ro, "m.npz")), "--out", "cannot write");
    }

    [Test]
    public void AFolderNoOneMayWriteIsRefusedEvenForRoot()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self")) Assert.Ignore("needs Linux's /proc");
        using var w = new Workspace();
        var (theta, x) = w.Simulations(50, 50);
        AssertDataError(CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", "/proc/self/m.npz"), "--out", "/proc/self");
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(100, 90);
        string[] args = ["train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", w["m.npz"]];
        var plain = CliRun.Of(args);
        var verbose = CliRun.Of([.. args, "--verbose"]);
        Assert.That(plain.HasStackTrace, Is.False, plain.ToString());
        Assert.That(verbose.Code, Is.EqualTo(1), verbose.ToString());
        Assert.That(verbose.Err, Does.StartWith("sbi-net: error: "));
        Assert.That(verbose.HasStackTrace, Is.True, verbose.ToString());
    }
}
