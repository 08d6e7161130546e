using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.IO;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Runtime;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Onnx.Tests.Custom;

/// <summary>
/// A family registered by a user (<see cref="ConditionalGaussianFamily"/>, with its <see cref="ConditionalGaussianExporter"/>)
/// goes through everything a built-in one does: NPE-B trains it, a model file and a .pt state dict save and reload it,
/// and it exports to an ONNX package that ONNX Runtime samples.
/// </summary>
public class CustomFamilyTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void Register()
    {
        EstimatorFamilies.Register(new ConditionalGaussianFamily());
        OnnxExporters.Register(ConditionalGaussianFamily.FamilyName, new ConditionalGaussianExporter());
        Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-custom-family-" + Guid.NewGuid().ToString("N")));
    }

    [OneTimeTearDown] public void CleanUp() => Directory.Delete(_dir, true);

    [Test]
    public void TrainsSavesLoadsAndExportsLikeABuiltInFamily()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var prior = new BoxUniform(new[] { -2f, -2f }, new[] { 2f, 2f });
        var theta = prior.Sample(2000);
        var x = theta + 0.3f * randn(2000, 2);
        var npe = new NpeB(prior, ConditionalGaussianFamily.FamilyName, showProgressBars: false, logger: NullLogger.Instance);
        var net = npe.AppendSimulations(theta, x).Train(maxNumEpochs: 60);
        Assert.That(net, Is.InstanceOf<ConditionalGaussian>());
        Assert.That(net.Config.ZScoreX, Is.EqualTo(ZScoreMode.None), "the family's Configure rules are applied");
        Assert.That(npe.TrainingBackend, Is.EqualTo(TrainingBackend.Autograd));
        Assert.That(npe.TrainingBackendReason, Does.Contain(ConditionalGaussianFamily.FamilyName));
        Assert.That(npe.Summary.BestValidationLoss[0], Is.LessThan(npe.Summary.ValidationLoss[0]), "training lowered the validation loss");

        var xo = tensor(new[] { 0.5f, -0.5f }).unsqueeze(0);
        var posterior = npe.BuildPosterior().SetDefaultX(xo);
        var probe = prior.Sample(64);
        using var _ = no_grad();
        var expected = posterior.PosteriorEstimator.LogProb(probe, xo).reshape(-1);

        // Model file: the configuration names the family and the registry rebuilds it; same weights, same float32 ops, same bits.
        var modelPath = Path.Combine(_dir, "model.npz");
        ModelFile.Save(modelPath, posterior);
        var loaded = ModelFile.Load(modelPath);
        Assert.That(loaded.PosteriorEstimator, Is.InstanceOf<ConditionalGaussian>());
        Assert.That(loaded.PosteriorEstimator.LogProb(probe, xo).reshape(-1).eq(expected).all().item<bool>(), Is.True, "bitwise the same log-densities");

        // A .pt state dict carries no configuration: the family's InferConfig recognises its keys.
        var ptPath = Path.Combine(_dir, "weights.pt");
        SbiStateDict.Save(ptPath, posterior.PosteriorEstimator);
        var fromPt = SbiStateDict.Load(ptPath);
        Assert.That(fromPt.Config.Estimator, Is.EqualTo(ConditionalGaussianFamily.FamilyName));
        Assert.That(fromPt.LogProb(probe, xo).reshape(-1).eq(expected).all().item<bool>(), Is.True, "bitwise the same log-densities");

        // ONNX: the registered exporter's graphs, held to the float32 accuracy of the TorchSharp module.
        var package = Path.Combine(_dir, "package");
        PosteriorExporter.Export(EstimatorModel.LoadNpz(modelPath), package);
        using var onnx = OnnxPosterior.Load(package);
        Assert.That(onnx.Manifest.EstimatorName, Is.EqualTo(ConditionalGaussianFamily.FamilyName));
        var raw = new float[64];
        onnx.RawLogProb(probe.data<float>().ToArray(), 64, new[] { 0.5f, -0.5f }, raw);
        using var est64 = Float64.Copy(posterior.PosteriorEstimator);
        var ref64 = est64.LogProb(probe.D(), xo.D()).reshape(-1);
        var agreement = FloatAgreement.Float32Only(tensor(raw), expected, ref64, net.Config.HiddenFeatures);
        Assert.That(agreement.Float32Accurate, Is.True, agreement.ToString());

        // Sampling: ONNX Runtime's rejection sampler and the DirectPosterior draw from the same distribution (|z| of means).
        const int n = 4000;
        var ours = onnx.Sample(n, new[] { 0.5f, -0.5f }, 5);
        var torchDraws = posterior.Sample(n).D();
        for (int j = 0; j < 2; j++)
        {
            var a = Enumerable.Range(0, n).Select(i => (double)ours[i, j]).ToArray();
            double ma = a.Average(), va = a.Sum(v => (v - ma) * (v - ma)) / (n - 1);
            double mb = torchDraws[.., j].mean().item<double>(), vb = torchDraws[.., j].var().item<double>();
            Assert.That(Math.Abs(ma - mb) / Math.Sqrt((va + vb) / n), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"θ{j} mean");
        }
    }
}
