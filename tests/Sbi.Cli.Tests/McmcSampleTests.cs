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
        var output = _model.Workspace["interrupted.npy"];
        // slice_np runs one chain after another: 10⁶ draws take far longer than the signal needs to arrive.
        using var child = SigintChild.Start(["sample", "--model", _model.Path, "-n", "1000000", "--out", output,
                                             "--sample-with", "mcmc", "--mcmc-method", "slice_np", "--num-chains", "2"],
                                            line => line.Contains("draws per chain", StringComparison.Ordinal));
        // Until the first progress line, or the child's end (a failure before sampling shows its stderr at once).
        Assert.That(child.WaitReady(TimeSpan.FromSeconds(90)), Is.True, () => $"no progress line (exited: {child.HasExited}); stderr:\n{child.Stderr}");
        int exitCode = child.Interrupt();
        string err = child.Stderr;
        Assert.That(exitCode, Is.EqualTo(130), err);
        Assert.That(err, Does.Contain("sbi-net: interrupted"));
        Assert.That(err, Does.Not.Contain("   at "));
        Assert.That(File.Exists(output), Is.False, "nothing written");
    }
}
