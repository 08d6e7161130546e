using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>
/// `sample --sample-with vi` on a tiny trained model: q is trained at x, then sampled; the samples lie inside the box
/// prior by construction (q lives in the prior's unconstrained space), and the report line says what training did and
/// q's Pareto-k̂. Short trainings (50 iterations) keep each test to seconds.
/// </summary>
public class ViSampleTests
{
    private TinyModel _model = null!;

    [OneTimeSetUp]
    public void TrainOnce() => _model = TinyModel.Train();

    [OneTimeTearDown]
    public void Remove() => _model.Dispose();

    [TestCase("rKL", "maf")]
    [TestCase("fKL", "maf")]
    [TestCase("IW", "gaussian")]
    [TestCase("alpha", "nsf")]
    public void EveryDivergenceGivesSamplesInsideThePriorAndItsReport(string method, string q)
    {
        var output = _model.Workspace[$"vi-{method}-{q}.npy"];
        var r = CliRun.Of("sample", "--model", _model.Path, "-n", "300", "--seed", "3", "--out", output, "--sample-with", "vi",
                          "--vi-method", method, "--q", q, "--vi-max-iters", "50", "--vi-particles", "64");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(output, 300)), Is.True, "q's samples lie in the prior's support");
        Assert.That(r.Out, Does.Match($@"VI {method} \(q {q}\): [0-9]+ iterations \+ 100 warm-up in [0-9.]+ s, (converged|iteration limit reached); Pareto-k̂ [-0-9.]+"));
    }

    /// <summary>
    /// --save-vi keeps the fitted q as a VI model file, which `export` turns into an ONNX package that `sample --package`
    /// serves: its samples lie in the prior's support too (the package carries the prior's θ transform).
    /// </summary>
    [Test]
    public void TheSavedQIsExportedAndServedThroughOnnxRuntime()
    {
        var w = _model.Workspace;
        var r = CliRun.Of("sample", "--model", _model.Path, "-n", "100", "--out", w["vi.npy"], "--sample-with", "vi", "--vi-max-iters", "30",
                          "--vi-particles", "64", "--x", "0.5,0.5", "--save-vi", w["q.npz"]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"saved the fitted q to {w["q.npz"]}"));
        var export = CliRun.Of("export", "--model", w["q.npz"], "--out", w["q-onnx"]);
        Assert.That(export.Code, Is.EqualTo(0), export.ToString());
        var served = CliRun.Of("sample", "--package", w["q-onnx"], "--x", "0.5,0.5", "-n", "500", "--out", w["onnx.npy"]);
        Assert.That(served.Code, Is.EqualTo(0), served.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(w["onnx.npy"], 500)), Is.True);
    }

    [Test]
    public void SaveViNeedsVi()
    {
        var w = _model.Workspace;
        var r = CliRun.Of("sample", "--model", _model.Path, "--out", w["x.npy"], "--save-vi", w["q2.npz"]);
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.Contain("--save-vi applies to --sample-with vi only; got --sample-with direct"));
    }
}
