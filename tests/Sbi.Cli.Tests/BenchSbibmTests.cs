using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// <c>sbi-net bench sbibm</c>: option checks before any work (exit 2), a missing reference file (exit 1), and a run on a
/// budget small enough for a test whose --out CSV holds one row per observation with the columns.
/// </summary>
public class BenchSbibmTests
{
    /// <summary>A two_moons reference file of the real shapes with few samples (the values matter only to the C2ST).</summary>
    private static string TwoMoonsReference(Workspace w)
    {
        var rng = new Random(3);
        float[] Draw(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)(scale * (rng.NextDouble() - 0.5))).ToArray();
        Directory.CreateDirectory(w["sbibm"]);
        Npz.Write(Path.Combine(w["sbibm"], "two_moons.npz"), new Dictionary<string, NpyArray>
        {
            ["observations"] = NpyArray.FromFloat32(Draw(20, 0.2), [10, 2]),
            ["reference_samples"] = NpyArray.FromFloat32(Draw(10 * 60 * 2, 1.0), [10, 60, 2]),
            ["true_parameters"] = NpyArray.FromFloat32(Draw(20, 1.0), [10, 2]),
        });
        return w["sbibm"];
    }

    private static void AssertUsage(CliRun r, string message)
    {
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: ").And.Contain(message), r.ToString());
        Assert.That(r.HasStackTrace, Is.False, r.ToString());
    }

    [TestCase("--task", "lotka_volterra", "--task must be one of two_moons, gaussian_linear, gaussian_linear_uniform, slcp or all; got 'lotka_volterra'")]
    [TestCase("--observations", "0-3", "sbibm numbers its observations 1 to 10; got '0-3'")]
    [TestCase("--observations", "4-2", "got '4-2'")]
    [TestCase("--observations", "a", "--observations must be numbers or ranges")]
    [TestCase("--sims", "1000,x", "--sims must be comma-separated integers")]
    [TestCase("--rounds", "0", "--rounds must be between 1 and 100; got 0")]
    [TestCase("--estimator", "flow", "--estimator must be one of")]
    public void BadOptionsAreUsageErrors(string option, string value, string message)
    {
        using var w = new Workspace();
        // Never a full run if a check were missing: the smallest budget, one epoch, one observation (each option once).
        var args = new List<string> { "bench", "sbibm", "--data", TwoMoonsReference(w) };
        foreach (var (o, v) in new[] { ("--task", "two_moons"), ("--sims", "1000"), ("--max-epochs", "1"), ("--samples", "60"), ("--observations", "1") })
            if (o != option) args.AddRange([o, v]);
        args.AddRange([option, value]);
        AssertUsage(CliRun.Of([.. args]), message);
    }

    [Test]
    public void TooFewSimulationsPerRoundIsAUsageError()
    {
        using var w = new Workspace();
        AssertUsage(CliRun.Of("bench", "sbibm", "--task", "two_moons", "--data", TwoMoonsReference(w), "--sims", "100", "--rounds", "10"),
                    "--sims 100 with --rounds 10 leaves 10 simulations a round");
    }

    [Test]
    public void AMissingReferenceFileIsReportedBeforeWork()
    {
        using var w = new Workspace();
        var r = CliRun.Of("bench", "sbibm", "--task", "slcp", "--data", TwoMoonsReference(w), "--sims", "1000");
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.Contain("slcp.npz' does not exist"), r.ToString());
    }

    [Test]
    public void ASmallRunPrintsEachObservationAndWritesTheCsv()
    {
        using var w = new Workspace();
        var r = CliRun.Of("bench", "sbibm", "--task", "two_moons", "--data", TwoMoonsReference(w), "--sims", "1000", "--max-epochs", "1",
                          "--samples", "60", "--observations", "2,5", "--out", w["out/results.csv"], "--save", w["save"]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("sbibm NPE 0.725 ± 0.045"), r.ToString());
        Assert.That(r.Out, Does.Contain("(2 obs)"), r.ToString());
        var lines = File.ReadAllLines(w["out/results.csv"]);
        Assert.That(lines, Has.Length.EqualTo(3));
        var header = lines[0].Split(',');
        Assert.That(header, Is.SupersetOf(new[] { "task", "sims", "observation", "c2st", "seconds" }));
        var row = lines[2].Split(',');
        Assert.That(row[Array.IndexOf(header, "task")], Is.EqualTo("two_moons"));
        Assert.That(row[Array.IndexOf(header, "sims")], Is.EqualTo("1000"));
        Assert.That(row[Array.IndexOf(header, "observation")], Is.EqualTo("5"));
        Assert.That(double.Parse(row[Array.IndexOf(header, "c2st")], System.Globalization.CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0));
        Assert.That(File.Exists(Path.Combine(w["save"], "two_moons_1000_theta.npy")), Is.True);
        Assert.That(File.Exists(Path.Combine(w["save"], "two_moons_1000_r1_obs5_samples.npy")), Is.True);
    }
}
