using System.Diagnostics;
using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// `sample --sample-with mcmc` on a tiny trained model: every sampler's samples have the asked shape, are finite and lie
/// inside the box prior (the chains run in the prior's unconstrained space, so the support holds by construction); the
/// diagnostics line follows; progress is plain lines when stderr is not a terminal; iid observations are taken; Ctrl-C
/// exits 130 without writing. Short chains (4 chains, 20 warm-up draws) keep each test to seconds.
/// </summary>
public class McmcSampleTests
{
    private TinyModel _model = null!;

    [OneTimeSetUp]
    public void TrainOnce() => _model = TinyModel.Train();

    [OneTimeTearDown]
    public void Remove() => _model.Dispose();

    private CliRun Mcmc(string output, params string[] extra) =>
        CliRun.Of(["sample", "--model", _model.Path, "-n", "200", "--seed", "2", "--out", output, "--sample-with", "mcmc",
                   "--num-chains", "4", "--warmup", "20", .. extra]);

    [TestCase("slice_np_vectorized")]
    [TestCase("slice_np")]
    [TestCase("hmc")]
    [TestCase("nuts")]
    [TestCase("nuts_pyro")]
    public void EverySamplerGivesFiniteSamplesInsideThePriorAndItsDiagnostics(string method)
    {
        var output = _model.Workspace[$"mcmc-{method}.npy"];
        var r = Mcmc(output, "--mcmc-method", method);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(output, 200)), Is.True, "chains in the prior's unconstrained space stay in its support");
        Assert.That(r.Out, Does.Match(@"MCMC diagnostics \(4 chains × [0-9,]+ kept draws\): max split-R̂ [0-9.]+, min bulk ESS [0-9,]+.*divergences [0-9]+"));
    }

    [Test]
    public void ProgressIsPlainLinesWhenStderrIsNotATerminal()
    {
        var r = Mcmc(_model.Workspace["progress.npy"]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Err, Does.Contain("MCMC slice_np_vectorized, 4 chains: 100% ("), r.ToString());
        Assert.That(r.Err, Does.Not.Contain("\u001b["), "no terminal control sequences in a captured stream");
    }

    [Test]
    public void IidObservationsAreConditionedOnTogether()
    {
        var w = _model.Workspace;
        Npy.Write(w["xs.npy"], new float[] { 0.5f, 0.5f, 0.45f, 0.55f, 0.55f, 0.5f }, new long[] { 3, 2 });
        var r = Mcmc(w["iid.npy"], "--x-iid", w["xs.npy"]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(w["iid.npy"], 200)), Is.True);
    }

    [Test]
    [CancelAfter(120_000)]
    public void SigintStopsTheChainsExits130AndWritesNothing()
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/kill")) Assert.Ignore("sends SIGINT with /bin/kill");
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "sbi-net.dll");
        var output = _model.Workspace["interrupted.npy"];
        // slice_np runs one chain after another: 10⁶ draws take far longer than the signal needs to arrive.
        var command = new List<string> { "dotnet", dll, "sample", "--model", _model.Path, "-n", "1000000", "--out", output,
                                         "--sample-with", "mcmc", "--mcmc-method", "slice_np", "--num-chains", "2" };
        if (SigintIgnoredHere())
        {
            // As InterruptTests: a background test run ignores SIGINT and its children inherit that; reset it for the child.
            if (!File.Exists("/usr/bin/python3")) Assert.Ignore("SIGINT is ignored in this test process and no python3 is here to reset it for the child");
            command.InsertRange(0, ["/usr/bin/python3", "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"]);
        }
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        var stderr = new System.Text.StringBuilder();
        var started = new ManualResetEventSlim();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("draws per chain", StringComparison.Ordinal)) started.Set();
        };
        child.OutputDataReceived += (_, _) => { };
        child.BeginErrorReadLine();
        child.BeginOutputReadLine();
        try
        {
            // Until the first progress line, or the child's end (a failure before sampling shows its stderr at once).
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!started.Wait(100) && !child.HasExited && DateTime.UtcNow < deadline) { }
            Assert.That(started.IsSet, Is.True, () => $"no progress line (exited: {child.HasExited}); stderr:\n{stderr}");
            using (var kill = Process.Start("/bin/kill", ["-INT", child.Id.ToString()])) kill.WaitForExit();
            Assert.That(child.WaitForExit(60_000), Is.True, "the child did not stop after SIGINT");
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
        child.WaitForExit();
        string err;
        lock (stderr) err = stderr.ToString();
        Assert.That(child.ExitCode, Is.EqualTo(130), err);
        Assert.That(err, Does.Contain("sbi-net: interrupted"));
        Assert.That(err, Does.Not.Contain("   at "));
        Assert.That(File.Exists(output), Is.False, "nothing written");
    }

    private static bool SigintIgnoredHere()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;
    }
}
