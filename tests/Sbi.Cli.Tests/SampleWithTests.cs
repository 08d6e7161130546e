using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// `sample --sample-with direct|rejection|importance` on a tiny trained model: the samples' shape, finiteness and
/// support, what each sampler reports, and that the default stays the direct posterior it always was. (MCMC:
/// <see cref="McmcSampleTests"/>.)
/// </summary>
public class SampleWithTests
{
    private TinyModel _model = null!;

    [OneTimeSetUp]
    public void TrainOnce() => _model = TinyModel.Train();

    [OneTimeTearDown]
    public void Remove() => _model.Dispose();

    private CliRun Sample(string output, params string[] extra) =>
        CliRun.Of(["sample", "--model", _model.Path, "-n", "300", "--seed", "5", "--out", output, .. extra]);

    [Test]
    public void DirectByNameIsTheDefaultBitForBit()
    {
        var w = _model.Workspace;
        var plain = Sample(w["default.npy"]);
        var named = Sample(w["direct.npy"], "--sample-with", "direct");
        Assert.That(plain.Code, Is.EqualTo(0), plain.ToString());
        Assert.That(named.Code, Is.EqualTo(0), named.ToString());
        Assert.That(File.ReadAllBytes(w["direct.npy"]), Is.EqualTo(File.ReadAllBytes(w["default.npy"])), "same seed, same posterior, same draws");
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(w["direct.npy"], 300)), Is.True, "direct rejects draws outside the prior");
        Assert.That(named.Out, Does.StartWith($"wrote 300 samples (2 parameters) to {w["direct.npy"]}"));
    }

    [Test]
    public void RejectionSamplesLieInThePriorAndReportTheAcceptance()
    {
        var w = _model.Workspace;
        var r = Sample(w["rej.npy"], "--sample-with", "rejection");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(w["rej.npy"], 300)), Is.True, "rejection proposes from the prior");
        Assert.That(r.Out, Does.Match(@"rejection sampling: acceptance [0-9.eE-]+ \(log envelope -?[0-9.]+\)"));
        var again = Sample(w["rej2.npy"], "--sample-with", "rejection");
        Assert.That(File.ReadAllBytes(w["rej2.npy"]), Is.EqualTo(File.ReadAllBytes(w["rej.npy"])), "--seed fixes the draws");
    }

    [Test]
    public void SirSamplesLieInThePriorAndReportTheWeights()
    {
        var w = _model.Workspace;
        var r = Sample(w["sir.npy"], "--sample-with", "importance");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(w["sir.npy"], 300)), Is.True, "SIR resamples prior draws");
        Assert.That(r.Out, Does.Match(@"importance weights of 10,000 fresh proposal draws: ESS [0-9,.]+, Pareto-k̂ -?[0-9.]+"));
        Assert.That(File.Exists(w["sir.log_weights.npy"]), Is.False, "sir writes unweighted samples only");
    }

    [Test]
    public void ImportanceMethodWritesTheLogWeightsBesideTheSamples()
    {
        var w = _model.Workspace;
        var r = Sample(w["imp.npy"], "--sample-with", "importance", "--importance-method", "importance");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(TinyModel.InsidePrior(TinyModel.ReadSamples(w["imp.npy"], 300)), Is.True, "the weighted samples are prior draws");
        var weights = Npy.Read(w["imp.log_weights.npy"]);
        Assert.That(weights.Shape, Is.EqualTo(new long[] { 300 }));
        // log w = potential − log prior; inside the box both are finite.
        Assert.That(weights.AsFloat32().All(float.IsFinite), Is.True);
        Assert.That(r.Out, Does.Contain($"wrote their log importance weights to {w["imp.log_weights.npy"]}"));
        Assert.That(r.Out, Does.Match(@"importance weights: ESS [0-9,.]+ of 300, Pareto-k̂ -?[0-9.]+"));
    }
}
