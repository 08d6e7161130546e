using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.Distributions;
using Sbi.IO;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.IO;

public class ModelFileTests
{
    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"sbi-net-{Guid.NewGuid():N}-{name}");

    [Test]
    public void SaveLoadRoundTripKeepsDensityPriorAndDefaultX()
    {
        using var scope = NewDisposeScope();
        var est = Sbi.Tests.Estimators.MafTests.RandomMaf(3, 2, 11);
        using var prior = new BoxUniform(new float[] { -5, -5, -5 }, new float[] { 5, 5, 5 });
        var post = new DirectPosterior(est, prior, logger: NullLogger.Instance).SetDefaultX(tensor(new float[] { 0.3f, -0.2f }));
        var path = Temp("model.npz");
        try
        {
            ModelFile.Save(path, post);
            var loaded = ModelFile.Load(path);
            Assert.That(loaded.Prior, Is.TypeOf<BoxUniform>());
            Assert.That(loaded.DefaultX!.data<float>().ToArray(), Is.EqualTo(new[] { 0.3f, -0.2f }));
            var theta = randn(50, 3);
            using var _ = no_grad();
            var a = est.LogProb(theta, post.DefaultX!);
            var b = loaded.PosteriorEstimator.LogProb(theta, post.DefaultX!);
            Assert.That((a - b).abs().max().item<float>(), Is.EqualTo(0f));
            // numpy-readable: the state dict sits under sd/ with sbi's keys.
            var npz = NpzFile.Load(path);
            Assert.That(npz.Keys, Does.Contain("sd/net._transform._transforms.1.autoregressive_net.initial_layer.weight"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void SbiFixturesLoadAsModels()
    {
        var (est, prior, _) = ModelFile.LoadParts(Fixtures.Path("maf_D2.npz"));
        Assert.That(est.InputDim, Is.EqualTo(2));
        Assert.That(prior, Is.TypeOf<BoxUniform>());
    }

    [Test]
    public void BadFilesRaiseClearErrors()
    {
        Assert.Throws<FileNotFoundException>(() => ModelFile.Load("/nonexistent/model.npz"));
        var path = Temp("future.npz");
        try
        {
            Npz.Write(path, new[] { new KeyValuePair<string, NpyArray>("config_json", NpyArray.FromString("{\"format\": \"sbi-net-model\", \"format_version\": 99, \"estimator\": \"maf\", \"D\": 2, \"C\": 2}")) });
            var e = Assert.Throws<SbiDataException>(() => ModelFile.Load(path));
            Assert.That(e!.Message, Does.Contain("version 99"));
            File.WriteAllText(path, "not a zip");
            Assert.Throws<SbiDataException>(() => ModelFile.Load(path));
        }
        finally { File.Delete(path); }
    }
}
