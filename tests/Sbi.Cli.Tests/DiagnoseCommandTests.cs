using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using Sbi.Plots.Tests;

namespace Sbi.Cli.Tests;

/// <summary>
/// `diagnose sbc` and `diagnose tarp` on the tiny model (2 parameters) and 60 test simulations with 100 posterior
/// draws each: what they print, the plot and results files they write (whole, replacing older ones), and every bad
/// input refused before sampling with the option named.
/// </summary>
public class DiagnoseCommandTests
{
    private const int Observations = 60, Draws = 100;
    private TinyModel _model = null!;
    private string _sims = null!;

    private Workspace W => _model.Workspace;

    [OneTimeSetUp]
    public void TrainTheModel()
    {
        _model = TinyModel.Train();
        _sims = W.SimulationsNpz("test.npz", Observations, TinyModel.Dim, seed: 7);
    }

    [OneTimeTearDown]
    public void Dispose() => _model.Dispose();

    private CliRun Diagnose(string which, params string[] extra) =>
        CliRun.Of(["diagnose", which, "--model", _model.Path, "--simulations", _sims, "--num-posterior-samples", $"{Draws}", .. extra]);

    [Test]
    public void SbcPrintsAKsPValuePerDimensionAndWritesThePlotAndTheResults()
    {
        var plot = W["sbc/ranks.png"];
        var json = W["sbc/results.json"];
        var r = Diagnose("sbc", "--plot", plot, "--out", json);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        var printed = new double[TinyModel.Dim];
        for (int d = 0; d < TinyModel.Dim; d++)
        {
            // "dim 1   0.5386   0.4825": the rank table's row; the DAP table's rows have one number.
            var row = r.Out.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                           .Single(f => f.Length == 4 && f[0] == "dim" && f[1] == $"{d + 1}");
            printed[d] = double.Parse(row[2], CultureInfo.InvariantCulture);
            Assert.That(printed[d], Is.InRange(0.0, 1.0), $"dim {d + 1}'s KS p-value");
        }
        Assert.That(r.Out, Does.Contain($"{Observations} observations × {Draws} posterior samples"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var ks = doc.RootElement.GetProperty("ks_pvals").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.That(ks, Has.Length.EqualTo(TinyModel.Dim));
        for (int d = 0; d < ks.Length; d++)
            Assert.That(ks[d].ToString("G4", CultureInfo.InvariantCulture), Is.EqualTo(printed[d].ToString("G4", CultureInfo.InvariantCulture)), "the file holds the printed p-values");
        Assert.That(doc.RootElement.GetProperty("c2st_ranks").GetArrayLength(), Is.EqualTo(TinyModel.Dim));
        Assert.That(doc.RootElement.GetProperty("c2st_dap").GetArrayLength(), Is.EqualTo(TinyModel.Dim));
        Assert.That(doc.RootElement.GetProperty("num_observations").GetDouble(), Is.EqualTo(Observations));
        // The CDF form: one 800 × 500 panel.
        PngCheck.Decoded(plot, 800, 500);
        Assert.That(Directory.GetFiles(W["sbc"], "*.tmp*"), Is.Empty, "no temporary file left");
    }

    [Test]
    public void SbcRankHistogramsAndCsvResultsReplaceOlderFilesWhole()
    {
        var plot = W["hist.png"];
        var csv = W["sbc.csv"];
        File.WriteAllText(plot, "old");
        File.WriteAllText(csv, "old");
        var r = Diagnose("sbc", "--plot", plot, "--plot-type", "hist", "--num-bins", "5", "--out", csv, "--reduce-fn", "log_prob");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("log_prob"));
        // One histogram per rank column: with log_prob one column, 400 × 500.
        PngCheck.Decoded(plot, 400, 500);
        var lines = File.ReadAllLines(csv);
        Assert.That(lines[0], Is.EqualTo("statistic,index,value"));
        Assert.That(lines.Count(l => l.StartsWith("ks_pvals,", StringComparison.Ordinal)), Is.EqualTo(1), "one rank column");
        Assert.That(lines.Count(l => l.StartsWith("c2st_dap,", StringComparison.Ordinal)), Is.EqualTo(TinyModel.Dim), "one DAP C2ST per parameter");
    }

    [Test]
    public void TarpPrintsAtcAndKsPValueAndWritesTheCoveragePlot()
    {
        var plot = W["tarp.png"];
        var json = W["tarp.json"];
        var r = Diagnose("tarp", "--plot", plot, "--out", json, "--num-bins", "6", "--distance", "l1");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Match(@"ATC -?\d+\.\d{4}\s+KS p-value \S+"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var atc = doc.RootElement.GetProperty("atc").GetDouble();
        // ATC sums (ECP − α)·Δα over half the grid: both lie in [0, 1], so |ATC| ≤ 1/2.
        Assert.That(Math.Abs(atc), Is.LessThanOrEqualTo(0.5));
        Assert.That(doc.RootElement.GetProperty("ks_pval").GetDouble(), Is.InRange(0.0, 1.0));
        Assert.That(doc.RootElement.GetProperty("ecp").GetArrayLength(), Is.EqualTo(7), "bins + 1 points");
        Assert.That(doc.RootElement.GetProperty("alpha").GetArrayLength(), Is.EqualTo(7));
        PngCheck.Decoded(plot, 600, 600);
    }

    [Test]
    public void TheTwoFileInputsOfTrainWorkToo()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(Observations, Observations, TinyModel.Dim, seed: 7);
        var r = CliRun.Of("diagnose", "tarp", "--model", _model.Path, "--theta", theta, "--x", x, "--num-posterior-samples", "50");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("TARP of").And.Contain("6 bins"), "default bins N / 10");
    }

    [Test]
    public void MismatchedThetaAndXCountsAreADataErrorNamingTheInputs()
    {
        using var w = new Workspace();
        var (theta, x) = w.Simulations(60, 50, TinyModel.Dim);
        var r = CliRun.Of("diagnose", "sbc", "--model", _model.Path, "--theta", theta, "--x", x);
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --theta/--x:").And.Contain("(60, 2)").And.Contain("(50, 2)"));
    }

    [Test]
    public void SimulationsOfAnotherDimensionThanTheModelAreRefused()
    {
        using var w = new Workspace();
        var sims = w.SimulationsNpz("d3.npz", 30, dim: 3);
        var r = CliRun.Of("diagnose", "tarp", "--model", _model.Path, "--simulations", sims);
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --simulations: θ has 3 column(s), but the --model posterior has 2 parameter(s)"));
    }

    [TestCase("tarp", new[] { "--num-bins", "61" }, "--num-bins must be at most 60 (N = 60 observations with finite x); got 61: too few samples for the requested bins")]
    [TestCase("sbc", new[] { "--num-bins", "102", "--plot", "PLOT" }, "--num-bins must be at most 60 (at most N = 60 ranks and L + 1 = 101 rank values); got 102")]
    [TestCase("sbc", new[] { "--num-bins", "5" }, "--num-bins sets the rank plot's bins; it needs --plot")]
    [TestCase("sbc", new[] { "--plot", "PLOT", "--plot-type", "violin" }, "--plot-type must be one of hist, cdf; got 'violin'")]
    [TestCase("sbc", new[] { "--reduce-fn", "mean" }, "--reduce-fn must be one of marginals, log_prob; got 'mean'")]
    [TestCase("tarp", new[] { "--distance", "l3" }, "--distance must be one of l2, l1; got 'l3'")]
    [TestCase("tarp", new[] { "--plot", "coverage.jpg" }, "--plot must name a .png file; got 'coverage.jpg'")]
    [TestCase("sbc", new[] { "--out", "results.txt" }, "--out must name a .json or .csv file; got 'results.txt'")]
    public void ABadOptionIsAUsageErrorNamingIt(string which, string[] extra, string message)
    {
        var plot = W["kept.png"];
        File.WriteAllText(plot, "old");
        var r = Diagnose(which, [.. extra.Select(e => e == "PLOT" ? plot : e)]);
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: " + message));
        Assert.That(r.Err, Does.Not.Contain("drawing"), "refused before any posterior draw");
        Assert.That(File.ReadAllText(plot), Is.EqualTo("old"), "nothing written");
    }

    [Test]
    public void TooFewObservationsForTheDefaultBinsNameNumBins()
    {
        using var w = new Workspace();
        var sims = w.SimulationsNpz("few.npz", 8);
        var tarp = CliRun.Of("diagnose", "tarp", "--model", _model.Path, "--simulations", sims);
        Assert.That(tarp.Code, Is.EqualTo(2), tarp.ToString());
        Assert.That(tarp.Err, Does.StartWith("sbi-net: error: the default --num-bins = N / 10 needs at least 10 observations; got N = 8"));
        var sbc = CliRun.Of("diagnose", "sbc", "--model", _model.Path, "--simulations", sims, "--plot", w["r.png"]);
        Assert.That(sbc.Code, Is.EqualTo(2), sbc.ToString());
        Assert.That(sbc.Err, Does.StartWith("sbi-net: error: the default --num-bins = N / 20 needs at least 20 observations; got N = 8"));
    }

    [Test]
    public void AnUnwritableOutputIsRefusedBeforeLoading()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self")) Assert.Ignore("needs Linux's /proc");
        var plot = Diagnose("sbc", "--plot", "/proc/self/ranks.png");
        Assert.That(plot.Code, Is.EqualTo(1), plot.ToString());
        Assert.That(plot.Err, Does.StartWith("sbi-net: error: --plot: cannot write to folder '/proc/self'"));
        Assert.That(plot.Out, Does.Not.Contain("loaded"));
        var output = Diagnose("tarp", "--out", "/proc/self/r.json");
        Assert.That(output.Code, Is.EqualTo(1), output.ToString());
        Assert.That(output.Err, Does.StartWith("sbi-net: error: --out: cannot write to folder '/proc/self'"));
    }
}
