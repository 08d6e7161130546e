using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// `sample`'s posterior options refused before any work: exit 2, one "sbi-net: error:" line naming the option and what
/// it accepts (the parameter records' own messages), a hint to --help, no stack trace, no file written.
/// </summary>
public class SampleMethodUsageTests
{
    private static void AssertUsageError(CliRun r, params string[] mustMention)
    {
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: "), r.ToString());
        foreach (var m in mustMention) Assert.That(r.Err, Does.Contain(m), r.ToString());
        Assert.That(r.Err, Does.Contain("--help"), r.ToString());
        Assert.That(r.HasStackTrace, Is.False, r.ToString());
    }

    // No model is needed: the options are checked before the files.
    private static CliRun Sample(Workspace w, params string[] extra) =>
        CliRun.Of(["sample", "--model", w["missing.npz"], "--out", w["s.npy"], .. extra]);

    [TestCase(new[] { "--sample-with", "bogus" }, new[] { "--sample-with must be one of direct, rejection, importance, mcmc, vi; got 'bogus'" })]
    [TestCase(new[] { "--sample-with", "mcmc", "--mcmc-method", "bogus" },
              new[] { "--mcmc-method: McmcPosteriorParameters.Method must be one of 'slice_np', 'slice_np_vectorized', 'hmc', 'nuts'", "'nuts_pyro'", "got 'bogus'" })]
    [TestCase(new[] { "--sample-with", "mcmc", "--num-chains", "0" }, new[] { "--num-chains: McmcPosteriorParameters.NumChains must be positive; got 0." })]
    [TestCase(new[] { "--sample-with", "mcmc", "--thin", "11" }, new[] { "--thin: McmcPosteriorParameters.Thin must be between 1 and 10, or -1 (no thinning); got 11." })]
    [TestCase(new[] { "--sample-with", "mcmc", "--warmup", "-1" }, new[] { "--warmup: McmcPosteriorParameters.WarmupSteps must be an integer ≥ 0; got -1." })]
    [TestCase(new[] { "--sample-with", "mcmc", "--num-workers", "0" }, new[] { "--num-workers: McmcPosteriorParameters.NumWorkers must be positive; got 0." })]
    [TestCase(new[] { "--sample-with", "mcmc", "--init-strategy", "latest" },
              new[] { "--init-strategy: McmcPosteriorParameters.InitStrategy must be one of 'resample', 'sir', 'proposal'; got 'latest'." })]
    [TestCase(new[] { "--sample-with", "importance", "--importance-method", "is" },
              new[] { "--importance-method: ImportanceSamplingPosteriorParameters.Method must be one of 'sir', 'importance'; got 'is'." })]
    [TestCase(new[] { "--num-chains", "4" }, new[] { "--num-chains applies to --sample-with mcmc only; got --sample-with direct" })]
    [TestCase(new[] { "--sample-with", "rejection", "--mcmc-method", "nuts" }, new[] { "--mcmc-method applies to --sample-with mcmc only; got --sample-with rejection" })]
    [TestCase(new[] { "--sample-with", "mcmc", "--importance-method", "sir" }, new[] { "--importance-method applies to --sample-with importance only" })]
    [TestCase(new[] { "--sample-with", "importance", "--max-sampling-time", "5" }, new[] { "--max-sampling-time does not apply to --sample-with importance" })]
    [TestCase(new[] { "--sample-with", "mcmc", "--thin", "x" }, new[] { "--thin must be an integer; got 'x'" })]
    [TestCase(new[] { "--sample-with", "vi", "--vi-method", "KL" }, new[] { "--vi-method: VIPosteriorParameters.ViMethod must be one of 'rKL', 'fKL', 'IW', 'alpha'", "got 'KL'" })]
    [TestCase(new[] { "--sample-with", "vi", "--q", "iaf" }, new[] { "--q: VIPosteriorParameters.Q must be one of 'maf', 'nsf', 'gaussian', 'gaussian_diag'", "got 'iaf'" })]
    [TestCase(new[] { "--sample-with", "vi", "--vi-max-iters", "0" }, new[] { "--vi-max-iters must be positive; got 0" })]
    [TestCase(new[] { "--sample-with", "vi", "--vi-particles", "-3" }, new[] { "--vi-particles must be positive; got -3" })]
    [TestCase(new[] { "--sample-with", "vi", "--max-sampling-time", "5" }, new[] { "--max-sampling-time does not apply to --sample-with vi" })]
    [TestCase(new[] { "--sample-with", "mcmc", "--vi-method", "rKL" }, new[] { "--vi-method applies to --sample-with vi only; got --sample-with mcmc" })]
    [TestCase(new[] { "--q", "nsf" }, new[] { "--q applies to --sample-with vi only; got --sample-with direct" })]
    public void ABadOrMisplacedPosteriorOptionNamesTheOptionAndTheAllowedValues(string[] options, string[] messages)
    {
        using var w = new Workspace();
        AssertUsageError(Sample(w, options), messages);
        Assert.That(File.Exists(w["s.npy"]), Is.False);
    }

    [TestCase("direct")]
    [TestCase("rejection")]
    [TestCase("importance")]
    [TestCase("vi")]
    public void IidObservationsAreForMcmcOnly(string sampleWith)
    {
        using var w = new Workspace();
        Npy.Write(w["xs.npy"], new float[] { 0.5f, 0.5f, 0.4f, 0.6f }, new long[] { 2, 2 });
        AssertUsageError(Sample(w, "--sample-with", sampleWith, "--x-iid", w["xs.npy"]),
                         $"--x-iid needs --sample-with mcmc: the {sampleWith} posterior's density is of one x");
    }

    [Test]
    public void IidObservationsAndOneObservationExcludeEachOther()
    {
        using var w = new Workspace();
        AssertUsageError(Sample(w, "--sample-with", "mcmc", "--x-iid", w["xs.npy"], "--x", "0.5,0.5"), "give either --x or --x-iid, not both");
    }

    [Test]
    public void AnOnnxPackageSamplesDirectlyOnly()
    {
        using var w = new Workspace();
        AssertUsageError(CliRun.Of("sample", "--package", w.Root, "--x", "0.5,0.5", "--sample-with", "mcmc", "--out", w["s.npy"]),
                         "--package (ONNX Runtime) samples directly only; got --sample-with mcmc");
    }

    [Test]
    public void IidObservationsOfTheWrongWidthAreRefusedBeforeSampling()
    {
        using var model = TinyModel.Train();
        var w = model.Workspace;
        Npy.Write(w["xs3.npy"], new float[] { 0.5f, 0.5f, 0.5f, 0.4f, 0.6f, 0.5f }, new long[] { 2, 3 });
        var r = CliRun.Of("sample", "--model", model.Path, "--sample-with", "mcmc", "--x-iid", w["xs3.npy"], "-n", "10", "--out", w["s.npy"]);
        AssertUsageError(r, $"--x-iid '{w["xs3.npy"]}' has shape (2, 3): rows of 3 value(s), but the model's x has 2; expected (k, 2)");
        Assert.That(File.Exists(w["s.npy"]), Is.False);
        Npy.Write(w["scalar.npy"], new float[] { 0.5f }, Array.Empty<long>());
        AssertUsageError(CliRun.Of("sample", "--model", model.Path, "--sample-with", "mcmc", "--x-iid", w["scalar.npy"], "--out", w["s.npy"]),
                         "holds a single number");
    }

    [Test]
    public void AMissingIidFileIsADataError()
    {
        using var model = TinyModel.Train();
        var w = model.Workspace;
        var r = CliRun.Of("sample", "--model", model.Path, "--sample-with", "mcmc", "--x-iid", w["nothere.npy"], "--out", w["s.npy"]);
        Assert.That(r.Code, Is.EqualTo(1), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --x-iid: file").And.Contain("nothere.npy"));
    }
}
