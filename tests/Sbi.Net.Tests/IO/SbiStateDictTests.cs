using NUnit.Framework;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.IO;
using static TorchSharp.torch;

namespace Sbi.Tests.IO;

public class SbiStateDictTests
{
    /// <summary>
    /// torch.save(density_estimator.state_dict()) from sbi (data/sbi_*.pt, written by python/make_state_dict_fixtures.py
    /// from the weights of the parity fixture {kind}_D{d}.npz) loads with the architecture inferred from keys and shapes
    /// into exactly the estimator the fixture describes: the same tensors bit for bit, so the same log-densities as
    /// the fixture's weights (which the parity harness compares with sbi's, case logprob/{kind}/D{d}).
    /// </summary>
    [TestCase("maf", 2)]
    [TestCase("nsf", 1)]
    [TestCase("mdn", 2)]
    public void SbiTrainedStateDictLoadsSbisWeights(string kind, int d)
    {
        using var scope = NewDisposeScope();
        var est = SbiStateDict.Load(Path.Combine(TestContext.CurrentContext.TestDirectory, "data", $"sbi_{kind}_D{d}.pt"));
        Assert.That(est.Config.Estimator, Is.EqualTo(kind));
        Assert.That(est.InputDim, Is.EqualTo(d));
        var f = Fixtures.Load($"{kind}_D{d}.npz");
        var fixture = f.Estimator();
        var ours = est.state_dict();
        foreach (var (k, v) in fixture.state_dict())
            Assert.That(ours[k].shape.SequenceEqual(v.shape) && ours[k].eq(v).all().item<bool>(), $"{k} differs from the fixture's");
        using var _ = no_grad();
        var th = f.T("theta").unsqueeze(0);
        Assert.That(est.LogProb(th, f.T("x")).eq(fixture.LogProb(th, f.T("x"))).all().item<bool>(), "same weights, same code: identical log q");
    }

    [Test]
    public void MismatchedShapesNameTheKeyAndBothShapes()
    {
        using var scope = NewDisposeScope();
        var sd = Fixtures.Load("maf_D2.npz").StateDict();
        var cfg = SbiStateDict.Infer(sd) with { HiddenFeatures = 40 };
        var est = Sbi.Estimators.PosteriorNn.Rebuild(cfg);
        var e = Assert.Throws<ArgumentException>(() => Sbi.Estimators.StateDictLoader.Load(est, sd, "sbi_maf_D2"));
        Assert.That(e!.Message, Does.Contain("initial_layer").And.Contain("(50, 2)").And.Contain("(40, 2)"));
        Assert.Throws<FileNotFoundException>(() => SbiStateDict.Load("/nonexistent.pt"));
    }

    /// <summary>
    /// Weights out: an Sbi.Net estimator saved as .pt loads back with identical tensors. That sbi's own estimator
    /// accepts the file (load_state_dict, strict) and reproduces Sbi.Net's log-densities is the parity harness's live
    /// case weights-out/{kind}.
    /// </summary>
    [TestCase("maf")]
    [TestCase("nsf")]
    [TestCase("mdn")]
    [TestCase("made")]
    public void SbiNetStateDictLoadsBack(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        var theta = randn(300, 2);
        var x = theta.repeat(1, 2) + 0.1 * randn(300, 4);
        var est = Sbi.Estimators.PosteriorNn.Build(kind)(theta, x);
        var dir = Path.Combine(Path.GetTempPath(), $"sbi-net-sd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var pt = Path.Combine(dir, "sd.pt");
            SbiStateDict.Save(pt, est);
            var back = SbiStateDict.Load(pt);
            foreach (var (k, v) in est.state_dict())
                Assert.That(back.state_dict()[k].eq(v).all().item<bool>(), $"{k} round trip");
        }
        finally { Directory.Delete(dir, true); }
    }
}
