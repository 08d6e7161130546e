using NUnit.Framework;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Cli.Tests;

/// <summary>`sbi-net bench sbc` end to end on a small stand-in for python/bench_sbc_sbi.py's folder.</summary>
public class BenchSbcTests
{
    /// <summary>maf.pt (an untrained D = 5 MAF in sbi's key names) and sbc_data.npz (30 pairs), as the Python script writes them.</summary>
    private static void WriteBenchFolder(Workspace w)
    {
        manual_seed(0);
        var theta = randn(200, 5);
        var x = theta + 0.1 * randn_like(theta);
        using var est = PosteriorNn.Build("maf")(theta, x);
        SbiStateDict.Save(w["maf.pt"], est);
        var t = randn(30, 5);
        var xs = t + 0.1 * randn_like(t);
        Npz.Write(w["sbc_data.npz"], new Dictionary<string, NpyArray>
        {
            ["thetas"] = NpyArray.FromFloat32(t.data<float>().ToArray(), [30, 5]),
            ["xs"] = NpyArray.FromFloat32(xs.data<float>().ToArray(), [30, 5]),
        });
    }

    [Test]
    public void TimesRunSbcAndComparesWithSbisRecordedRun()
    {
        using var w = new Workspace();
        WriteBenchFolder(w);
        var r = CliRun.Of("bench", "sbc", "--dir", w.Root, "--posterior-samples", "20", "--repeats", "1");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("30 observations × 20 posterior samples").And.Contain("Sbi.Net RunSbc").And.Contain("not recorded"));
        File.WriteAllText(w["sbi_sbc.json"], """{"seconds": 12.5, "cpu_seconds": 10.0, "threads": 1, "ks_pvals": [0.5, 0.5, 0.5, 0.5, 0.5]}""");
        r = CliRun.Of("bench", "sbc", "--dir", w.Root, "--posterior-samples", "20", "--repeats", "1");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("sbi run_sbc         best 12.500 s wall; best 10.000 s CPU").And.Contain("speed-up"));
    }

    [Test]
    public void AFolderWithoutTheWeightsSaysWhatToRun()
    {
        using var w = new Workspace();
        var r = CliRun.Of("bench", "sbc", "--dir", w.Root);
        Assert.That(r.Code, Is.Not.EqualTo(0), r.ToString());
        Assert.That(r.Err, Does.Contain("maf.pt").And.Contain("python/bench_sbc_sbi.py"));
        Assert.That(r.HasStackTrace, Is.False);
    }
}
