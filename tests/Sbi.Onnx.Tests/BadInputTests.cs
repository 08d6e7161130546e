using Sbi.Numpy;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Runtime;

namespace Sbi.Onnx.Tests;

/// <summary>Clear exceptions for missing or corrupt packages and model files and for bad arguments.</summary>
public class BadInputTests
{
    private static string Scratch(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-tests-" + Environment.ProcessId, "bad", name);
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string CopyPackage(string name)
    {
        var dir = Scratch(name);
        foreach (var f in Directory.GetFiles(Fixtures.Package("maf", 2))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    [Test]
    public void MissingPackage()
    {
        Assert.Throws<DirectoryNotFoundException>(() => OnnxPosterior.Load("/nonexistent/sbi-package"));
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxPosterior.Load(Scratch("empty")));
        Assert.That(ex!.Message, Does.Contain("manifest.json"));
    }

    [Test]
    public void CorruptManifestAndUnknownVersion()
    {
        var dir = CopyPackage("corrupt_manifest");
        File.WriteAllText(Path.Combine(dir, "manifest.json"), "{ not json");
        Assert.Throws<SbiDataException>(() => OnnxPosterior.Load(dir));

        dir = CopyPackage("future_version");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
        json["format_version"] = 99;
        File.WriteAllText(Path.Combine(dir, "manifest.json"), json.ToJsonString());
        var ex = Assert.Throws<SbiDataException>(() => OnnxPosterior.Load(dir));
        Assert.That(ex!.Message, Does.Contain("version 99"));
    }

    [Test]
    public void MissingOrCorruptGraph()
    {
        var dir = CopyPackage("missing_graph");
        File.Delete(Path.Combine(dir, "sample.onnx"));
        Assert.That(Assert.Throws<FileNotFoundException>(() => OnnxPosterior.Load(dir))!.Message, Does.Contain("sample.onnx"));

        dir = CopyPackage("corrupt_graph");
        File.WriteAllBytes(Path.Combine(dir, "log_prob.onnx"), new byte[] { 1, 2, 3, 4, 5 });
        // The manifest records the graph's digest, so the corruption is found before ONNX Runtime parses it.
        Assert.That(Assert.Throws<Sbi.Numpy.SbiDataException>(() => OnnxPosterior.Load(dir))!.Message, Does.Contain("log_prob.onnx").And.Contain("SHA-256"));
    }

    [Test]
    public void BadArguments()
    {
        using var post = OnnxPosterior.Load(Fixtures.Package("maf", 2));
        var ex = Assert.Throws<ArgumentException>(() => post.Sample(10, new float[] { 1, 2 }));
        Assert.That(ex!.ParamName, Is.EqualTo("x"));
        Assert.That(ex.Message, Does.Contain("C = 3").And.Contain("got 2"));
        ex = Assert.Throws<ArgumentException>(() => post.Sample(10, new float[] { 1, float.NaN, 2 }));
        Assert.That(ex!.Message, Does.Contain("x[1]").And.Contain("NaN"));
        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() => post.Sample(0, new float[3]));
        Assert.That(ex2!.ParamName, Is.EqualTo("n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => post.Sample(-5, new float[3]));
        ex = Assert.Throws<ArgumentException>(() => post.LogProb(new float[4, 3], new float[3]));
        Assert.That(ex!.ParamName, Is.EqualTo("theta"));
        Assert.Throws<ArgumentNullException>(() => post.Sample(1, null!));
    }

    [Test]
    public void BadModelFiles()
    {
        Assert.Throws<FileNotFoundException>(() => EstimatorModel.LoadNpz("/nonexistent/model.npz"));
        var dir = Scratch("models");
        var notZip = Path.Combine(dir, "garbage.npz");
        File.WriteAllText(notZip, "this is not a zip archive");
        Assert.Throws<SbiDataException>(() => EstimatorModel.LoadNpz(notZip));

        var future = Path.Combine(dir, "future.npz");
        TestNpz.Rewrite(Fixtures.PathOf("maf", 2), future, new Dictionary<string, byte[]?>
        {
            ["config_json"] = TestNpz.StringNpy("{\"format\": \"sbi-net-model\", \"format_version\": 7, \"estimator\": \"maf\", \"D\": 2, \"C\": 3}"),
        });
        Assert.That(Assert.Throws<SbiDataException>(() => EstimatorModel.LoadNpz(future))!.Message, Does.Contain("version 7"));

        var unknown = Path.Combine(dir, "unknown_kind.npz");
        TestNpz.Rewrite(Fixtures.PathOf("maf", 2), unknown, new Dictionary<string, byte[]?>
        {
            ["config_json"] = TestNpz.StringNpy("{\"estimator\": \"zuko_nsf\", \"D\": 2, \"C\": 3}"),
        });
        // The format admits any registered family; exporting one without a registered exporter names it and the known ones.
        var unknownModel = EstimatorModel.LoadNpz(unknown);
        Assert.That(Assert.Throws<ArgumentException>(() => PosteriorExporter.Export(unknownModel, Scratch("unknown_pkg")))!.Message,
            Does.Contain("zuko_nsf").And.Contain("maf"));

        var noWeights = Path.Combine(dir, "no_weights.npz");
        TestNpz.Rewrite(Fixtures.PathOf("maf", 2), noWeights, new Dictionary<string, byte[]?>
        {
            ["sd/net._transform._transforms.3.autoregressive_net.final_layer.weight"] = null,
        });
        var ex = Assert.Throws<ArgumentException>(() => PosteriorExporter.Export(EstimatorModel.LoadNpz(noWeights), Scratch("no_weights_pkg")));
        Assert.That(ex!.Message, Does.Contain("transforms.3.autoregressive_net.final_layer.weight"));
    }

    [Test]
    public void SbiNetModelFileWithGaussianPriorExportsAndNeverRejects()
    {
        var dir = Scratch("sbinet");
        var path = Path.Combine(dir, "model.npz");
        var cfg = JsonNode.Parse(Fixtures.Arrays("maf", 2)["config_json"].AsString())!.AsObject();
        cfg["format"] = "sbi-net-model";
        cfg["format_version"] = 1;
        cfg["prior"] = JsonNode.Parse("{\"kind\": \"multivariate_normal\", \"loc\": [0, 0], \"covariance_matrix\": [[1, 0], [0, 1]]}");
        TestNpz.Rewrite(Fixtures.PathOf("maf", 2), path, new Dictionary<string, byte[]?>
        {
            ["config_json"] = TestNpz.StringNpy(cfg.ToJsonString()),
            ["prior_low"] = null,
            ["prior_high"] = null,
        });
        var model = EstimatorModel.LoadNpz(path);
        Assert.That(model.Prior, Is.InstanceOf<MultivariateNormalSpec>());
        PosteriorExporter.Export(model, Path.Combine(dir, "pkg"));
        using var post = OnnxPosterior.Load(Path.Combine(dir, "pkg"));
        Assert.That(post.LeakageAcceptance(new float[3]), Is.EqualTo(1.0));
        var raw = post.LogProb(new float[,] { { 5f, -7f } }, new float[3], normalize: false);
        Assert.That(float.IsFinite(raw[0]), "no support restriction for a Gaussian prior");
    }
}
