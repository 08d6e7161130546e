using System.Text.Json;
using NUnit.Framework;
using Sbi.Bench;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// `sbi-net bench posteriors` in a tiny configuration (500 simulations, 200 samples): the table, the bench folder
/// python/bench_posteriors_sbi.py reads, and --sbi: a usage error without a reference, the side-by-side table with one.
/// </summary>
public class BenchPosteriorsTests
{
    private static readonly string[] Tiny = ["bench", "posteriors", "--sims", "500", "--samples", "200", "--max-epochs", "30"];

    [Test]
    public void ATinyRunPrintsTheTableAndWritesTheBenchFolder()
    {
        using var w = new Workspace();
        var dir = w["bench"];
        var r = CliRun.Of([.. Tiny, "--methods", "direct,importance", "--out", dir]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("method                samples   seconds   samples/s   C2ST  diagnostics"));
        Assert.That(r.Out, Does.Match(@"\ndirect +200 +[0-9.]+ +[0-9,]+ +0\.[0-9]{3}  acceptance 1"), "direct draws from a flow with full support: nothing rejected");
        Assert.That(r.Out, Does.Match(@"\nimportance +200 +[0-9.]+ +[0-9,]+ +[01]\.[0-9]{3}  ESS [0-9,.]+ of 10,000, Pareto-k̂"));
        Assert.That(r.Out, Does.Contain($"wrote the bench folder {dir}"));

        foreach (var f in new[] { "estimator.pt", "estimator_config.json", "theta.npy", "x.npy", "x_o.npy", "settings.json", "sbinet_direct.npy", "sbinet_importance.npy" })
            Assert.That(File.Exists(Path.Combine(dir, f)), Is.True, f);
        Assert.That(Directory.GetFileSystemEntries(w.Root).Where(p => p.Contains(".staging")), Is.Empty, "the staging folder is gone");
        Assert.That(Npy.Read(Path.Combine(dir, "theta.npy")).Shape, Is.EqualTo(new long[] { 500, 5 }));
        Assert.That(Npy.Read(Path.Combine(dir, "x_o.npy")).Shape, Is.EqualTo(new long[] { 1, 5 }));
        Assert.That(Npy.Read(Path.Combine(dir, "sbinet_direct.npy")).Shape, Is.EqualTo(new long[] { 200, 5 }));

        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "settings.json")));
        var s = settings.RootElement;
        Assert.That(s.GetProperty("format").GetString(), Is.EqualTo("sbi-net-bench-posteriors"));
        Assert.That(s.GetProperty("dim").GetInt32(), Is.EqualTo(5));
        Assert.That(s.GetProperty("methods").EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "direct", "importance" }));
        Assert.That(s.GetProperty("methods").GetProperty("importance").GetProperty("num_samples").GetInt32(), Is.EqualTo(200));
        Assert.That(s.GetProperty("mcmc").GetProperty("num_chains").GetInt32(), Is.EqualTo(20));

        // The state dict is sbi's: Sbi.Net's own loader (which infers the architecture from sbi's key names) takes it back.
        var estimator = Sbi.IO.SbiStateDict.Load(Path.Combine(dir, "estimator.pt"));
        Assert.That(estimator.Config.Estimator, Is.EqualTo("maf"));
        Assert.That(estimator.Config.D, Is.EqualTo(5));
    }

    /// <summary>
    /// The fitted-proposal and VI methods at x_o = 0: their rows, x_o.npy all zeros, and settings.json's fitted Gaussian
    /// (D means, a symmetric D × D covariance with a positive diagonal) and per-method proposal and VI method, which
    /// python/bench_posteriors_sbi.py reads.
    /// </summary>
    [Test]
    public void FittedProposalAndViMethodsRunAndTheirSettingsAreWritten()
    {
        using var w = new Workspace();
        var dir = w["bench"];
        var r = CliRun.Of([.. Tiny, "--methods", "importance_fitted,rejection_fitted,vi_rKL", "--vi-iterations", "5", "--observation", "zeros", "--out", dir]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("x_o (zeros) 0.0000 0.0000 0.0000 0.0000 0.0000"));
        Assert.That(r.Out, Does.Match(@"
importance_fitted +200 +[0-9.]+ +[0-9,]+ +[01]\.[0-9]{3}  ESS [0-9,.]+ of 10,000, Pareto-k̂"));
        Assert.That(r.Out, Does.Match(@"
rejection_fitted +200 +[0-9.]+ +[0-9,]+ +[01]\.[0-9]{3}  acceptance [0-9.]+(E-[0-9]+)?, envelope search [0-9.]+ s, then [0-9,]+ candidates/s"));
        Assert.That(r.Out, Does.Match(@"
vi_rKL +200 +[0-9.]+ +[0-9,]+ +[01]\.[0-9]{3}  Pareto-k̂ [-0-9.]+, trained 5 iterations \+ 100 warm-up in"));
        Assert.That(Npy.Read(Path.Combine(dir, "x_o.npy")).AsFloat32(), Is.All.EqualTo(0f));

        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "settings.json")));
        var s = settings.RootElement;
        Assert.That(s.GetProperty("observation").GetString(), Is.EqualTo("zeros"));
        var methods = s.GetProperty("methods");
        Assert.That(methods.GetProperty("importance_fitted").GetProperty("sample_with").GetString(), Is.EqualTo("importance"));
        Assert.That(methods.GetProperty("importance_fitted").GetProperty("proposal").GetString(), Is.EqualTo("fitted"));
        Assert.That(methods.GetProperty("rejection_fitted").GetProperty("sample_with").GetString(), Is.EqualTo("rejection"));
        Assert.That(methods.GetProperty("vi_rKL").GetProperty("sample_with").GetString(), Is.EqualTo("vi"));
        Assert.That(methods.GetProperty("vi_rKL").GetProperty("vi_method").GetString(), Is.EqualTo("rKL"));
        Assert.That(s.GetProperty("vi").GetProperty("max_num_iters").GetInt32(), Is.EqualTo(5));
        var fitted = s.GetProperty("fitted_proposal");
        Assert.That(fitted.GetProperty("inflation").GetDouble(), Is.EqualTo(PosteriorBenchSettings.FittedProposalInflation));
        Assert.That(fitted.GetProperty("mean").GetArrayLength(), Is.EqualTo(5));
        var cov = fitted.GetProperty("covariance").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.That(cov.Length, Is.EqualTo(5));
        for (int i = 0; i < 5; i++)
        {
            Assert.That(cov[i][i], Is.GreaterThan(0), $"variance {i}");
            for (int j = 0; j < 5; j++) Assert.That(cov[i][j], Is.EqualTo(cov[j][i]), $"symmetric at ({i}, {j})");
        }
    }

    [Test]
    public void SbiWithoutAReferenceIsAUsageErrorBeforeAnyWork()
    {
        var saved = new Dictionary<string, string?>();
        foreach (var v in new[] { SbiReference.LibVariable, SbiReference.PathVariable, SbiReference.LdVariable, SbiReference.PythonVariable, SbiReference.SettingsVariable })
            saved[v] = Environment.GetEnvironmentVariable(v);
        try
        {
            foreach (var v in saved.Keys) Environment.SetEnvironmentVariable(v, null);
            // A named settings file is the only one looked at: a missing one hides every reference.
            Environment.SetEnvironmentVariable(SbiReference.SettingsVariable, "/nonexistent/sbi-parity.json");
            var r = CliRun.Of([.. Tiny, "--methods", "direct", "--sbi"]);
            Assert.That(r.Code, Is.EqualTo(2), r.ToString());
            Assert.That(r.Err, Does.StartWith("sbi-net: error: --sbi needs the Python reference").And.Contain("no Python reference configured")
                                   .And.Contain("/nonexistent/sbi-parity.json"));
            Assert.That(r.Out, Does.Not.Contain("trained:"), "refused before training");
            Assert.That(r.HasStackTrace, Is.False);
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    [Test]
    public void BadBenchOptionsNameTheOption()
    {
        var r = CliRun.Of("bench", "posteriors", "--methods", "direct,gibbs");
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --methods: every value must be one of direct, rejection, importance, rejection_fitted, importance_fitted, slice_np")
                                  .And.Contain("vi_rKL, vi_fKL, vi_IW, vi_alpha").And.Contain("got 'gibbs'"));
        var observation = CliRun.Of("bench", "posteriors", "--observation", "middle");
        Assert.That(observation.Code, Is.EqualTo(2), observation.ToString());
        Assert.That(observation.Err, Does.Contain("middle").And.Contain("--observation"));
        var twice = CliRun.Of("bench", "posteriors", "--methods", "direct,direct");
        Assert.That(twice.Code, Is.EqualTo(2), twice.ToString());
        Assert.That(twice.Err, Does.Contain("--methods names 'direct' twice"));
    }

    [Test]
    public void WithTheReferenceBothSidesAreTabled()
    {
        if (SbiReference.Discover(out var reason) is null) Assert.Ignore($"needs the Python reference: {reason}");
        using var w = new Workspace();
        var r = CliRun.Of([.. Tiny, "--methods", "direct,importance_fitted,vi_rKL", "--vi-iterations", "5", "--sbi", "--out", w["bench"]]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("Sbi.Net and sbi on the same weights (sbi 0.27"));
        // Every column filled: both sides drew 200 samples from the same flow, so all three C2STs exist.
        Assert.That(r.Out, Does.Match(@"\ndirect +[0-9.]+ +[0-9.]+ +[0-9.]+ +0\.[0-9]{3} +0\.[0-9]{3} +0\.[0-9]{3}  \r?\n"));
        // sbi ran the fitted proposal and VI too: both sides' figures, and VI's training times and Pareto-k̂ side by side.
        Assert.That(r.Out, Does.Match(@"\nimportance_fitted +[0-9.]+ +[0-9.]+ +[0-9.]+ +[01]\.[0-9]{3} +[01]\.[0-9]{3} +[01]\.[0-9]{3}  \r?\n"));
        Assert.That(r.Out, Does.Match(@"\nvi_rKL +[0-9.]+ +[0-9.]+ +[0-9.]+ +[01]\.[0-9]{3} +[01]\.[0-9]{3} +[01]\.[0-9]{3}  training [0-9.]+ s vs [0-9.]+ s \(sbi/Sbi.Net [0-9.]+\); Pareto-k̂ [-0-9.]+ vs [-0-9.]+"));
        Assert.That(Npy.Read(Path.Combine(w["bench"], "sbi_direct.npy")).Shape, Is.EqualTo(new long[] { 200, 5 }));
        Assert.That(File.Exists(Path.Combine(w["bench"], "sbi_times.json")), Is.True);
    }
}
