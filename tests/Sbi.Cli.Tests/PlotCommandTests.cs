using NUnit.Framework;
using Sbi.Numpy;
using Sbi.Plots.Tests;
using Sbi.Tracking;

namespace Sbi.Cli.Tests;

/// <summary>
/// `plot pairplot` on a .npy of samples and `plot summary` on TensorBoard event files: the PNG each writes, and the
/// bad inputs (unknown kinds, labels, limits or points that do not fit the samples, missing or empty log folders,
/// unwritable outputs) refused with the option named.
/// </summary>
public class PlotCommandTests
{
    private static string WriteSamples(Workspace w, string name, int n, int dim, int seed = 0)
    {
        var rng = new Random(seed);
        var v = new float[n * dim];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() + rng.NextDouble());
        Npy.Write(w[name], v, [n, dim]);
        return w[name];
    }

    [TestCase("hist")]
    [TestCase("contour")]
    [TestCase("scatter")]
    public void PairplotWritesAPngOfEachKind(string kind)
    {
        using var w = new Workspace();
        var samples = WriteSamples(w, "s.npy", 500, 3);
        Npy.Write(w["p.npy"], new float[] { 1, 1, 1 }, [3]);
        var png = w[$"plots/pair-{kind}.png"];
        var r = CliRun.Of("plot", "pairplot", "--samples", samples, "--points", w["p.npy"], "--labels", "a,b,c", "--limits", "0,2",
                          "--kind", kind, "--out", png);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"500 samples × 3 dimensions ({kind} above the diagonal)"));
        // 250 pixels per dimension and side.
        PngCheck.Decoded(png, 750, 750);
    }

    [TestCase(new[] { "--kind", "violin" }, 2, "--kind must be one of hist, contour, scatter; got 'violin'")]
    [TestCase(new[] { "--lower", "kde" }, 2, "--lower must be one of hist, contour, scatter; got 'kde'")]
    [TestCase(new[] { "--labels", "a,b,c" }, 2, "--labels has 3 name(s), but --samples has 2 dimensions")]
    [TestCase(new[] { "--limits", "0,1;0,1;0,1" }, 2, "--limits has 3 pairs, but --samples has 2 dimensions")]
    [TestCase(new[] { "--limits", "1,0" }, 2, "--limits: each LO must be below its HI; got '1,0'")]
    [TestCase(new[] { "--limits", "0:1" }, 2, "--limits must be LO,HI or LO,HI;LO,HI;... with finite numbers; got '0:1'")]
    [TestCase(new[] { "--points", "POINTS3" }, 2, "--points has 3 value(s) per point, but --samples has 2 dimensions")]
    [TestCase(new[] { "--out", "pair.jpg" }, 2, "--out must name a .png file; got 'pair.jpg'")]
    [TestCase(new[] { "--samples", "VECTOR" }, 1, "--samples: ")]
    [TestCase(new[] { "--samples", "MISSING" }, 1, "--samples: file ")]
    public void PairplotRefusesBadInputNamingTheOption(string[] extra, int code, string message)
    {
        using var w = new Workspace();
        var samples = WriteSamples(w, "s.npy", 100, 2);
        Npy.Write(w["p3.npy"], new float[] { 1, 1, 1 }, [3]);
        Npy.Write(w["v.npy"], new float[] { 1, 2, 3 }, [3]);
        var png = w["pair.png"];
        File.WriteAllText(png, "old");
        var map = new Dictionary<string, string> { ["POINTS3"] = w["p3.npy"], ["VECTOR"] = w["v.npy"], ["MISSING"] = w["none.npy"] };
        var args = new List<string> { "plot", "pairplot", "--samples", samples, "--out", png };
        for (int i = 0; i < extra.Length; i += 2)
        {
            var value = map.GetValueOrDefault(extra[i + 1], extra[i + 1]);
            int at = args.IndexOf(extra[i]);
            if (at >= 0) args[at + 1] = value;
            else args.AddRange([extra[i], value]);
        }
        var r = CliRun.Of([.. args]);
        Assert.That(r.Code, Is.EqualTo(code), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: " + message));
        Assert.That(File.ReadAllText(png), Is.EqualTo("old"), "the old file is left as it was");
    }

    [Test]
    public void PairplotToAnUnwritableFolderIsRefused()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self")) Assert.Ignore("needs Linux's /proc");
        using var w = new Workspace();
        var r = CliRun.Of("plot", "pairplot", "--samples", WriteSamples(w, "s.npy", 50, 2), "--out", "/proc/self/pair.png");
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --out: cannot write to folder '/proc/self'"));
    }

    [Test]
    public void SummaryOfAMissingOrEmptyLogFolderNamesLogDir()
    {
        using var w = new Workspace();
        var missing = CliRun.Of("plot", "summary", "--log-dir", w["nope"], "--out", w["loss.png"]);
        Assert.That(missing.Code, Is.EqualTo(1), missing.ToString());
        Assert.That(missing.Err, Does.StartWith($"sbi-net: error: --log-dir: folder '{w["nope"]}' does not exist"));
        Directory.CreateDirectory(w["empty"]);
        var empty = CliRun.Of("plot", "summary", "--log-dir", w["empty"], "--out", w["loss.png"]);
        Assert.That(empty.Code, Is.EqualTo(1), empty.ToString());
        Assert.That(empty.Err, Does.StartWith($"sbi-net: error: --log-dir: the TensorBoard log directory '{w["empty"]}' holds no event file"));
        Assert.That(empty.HasStackTrace, Is.False);
        Assert.That(File.Exists(w["loss.png"]), Is.False);
    }

    [Test]
    public void SummaryOfARunWithoutLossesSaysWhichTagsItHas()
    {
        using var w = new Workspace();
        var tracker = new TensorBoardTracker(w["run"]);
        tracker.LogMetric("accuracy", 0.5, 0);
        var r = CliRun.Of("plot", "summary", "--log-dir", w["run"], "--out", w["loss.png"]);
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --log-dir: ").And.Contain("holds no training_loss or validation_loss scalars (its scalar tags: [accuracy])"));
    }
}
