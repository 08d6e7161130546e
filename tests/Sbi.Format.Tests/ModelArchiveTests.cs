using System.Text.Json.Nodes;
using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Format.Tests;

public class ModelArchiveTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-format-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private static ModelDocument Document(PriorSpec? prior = null, float[]? defaultX = null) => new(
        new EstimatorConfig { Estimator = "maf", D = 2, C = 3, XShape = new long[] { 3 }, HiddenFeatures = 2, NumTransforms = 1, NumBlocks = 1 },
        prior ?? new BoxUniformSpec(new[] { -1f, 0f }, new[] { 1f, 2f }), defaultX);

    private static readonly KeyValuePair<string, NpyArray>[] Weights =
    {
        new("net._transform._transforms.0.weight", NpyArray.FromFloat32(new[] { 1f, 2f, 3f, 4f }, new long[] { 2, 2 })),
        new("net._transform._transforms.0.degrees", NpyArray.FromInt64(new long[] { 1, 2 })),
        // x's z-scoring statistics: a real estimator stores an axis of length C = 3 (ConfigBounds checks it).
        new("net._embedding_net.0._mean", NpyArray.FromFloat32(new[] { 0f, 0f, 0f })),
    };

    [Test]
    public void WriteThenRead()
    {
        var path = Path.Combine(_dir, "sub", "m.npz");
        var cov = new float[,] { { 1f, 0.5f }, { 0.5f, 2f } };
        ModelArchive.Write(path, Document(new MultivariateNormalSpec(new[] { 0.5f, -1f }, cov), new[] { 1f, 2f, 3f }), Weights, "test 1.0");
        var (doc, sd) = ModelArchive.Read(path);
        Assert.That(doc.Config.Estimator, Is.EqualTo("maf"));
        Assert.That(doc.DefaultX, Is.EqualTo(new[] { 1f, 2f, 3f }));
        var normal = (MultivariateNormalSpec)doc.Prior!;
        Assert.That((normal.Loc, normal.Covariance), Is.EqualTo((new[] { 0.5f, -1f }, cov)));
        Assert.That(sd.Keys, Is.EquivalentTo(Weights.Select(w => w.Key)));
        Assert.That(sd["net._transform._transforms.0.weight"].AsFloat32(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "sub")), Has.Length.EqualTo(1), "no temporary file is left");
        var json = JsonNode.Parse(NpzFile.Load(path).String(ModelDocument.ConfigMember))!;
        Assert.That((json["format"]!.GetValue<string>(), json["format_version"]!.GetValue<int>(), json["sbi_net_version"]!.GetValue<string>()),
            Is.EqualTo((ModelDocument.FormatName, ModelDocument.FormatVersion, "test 1.0")));
    }

    /// <summary>A write that fails (a value numpy cannot hold) leaves the previous file as it was and no temporary file.</summary>
    [Test]
    public void FailedWriteKeepsThePreviousFile()
    {
        var path = Path.Combine(_dir, "m.npz");
        ModelArchive.Write(path, Document(), Weights);
        var before = File.ReadAllBytes(path);
        var bad = Weights.Append(new("bad", null!)).ToArray();
        Assert.That(() => ModelArchive.Write(path, Document(), bad), Throws.Exception);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void RefusesOtherFormatsVersionsAndInconsistentDocuments()
    {
        string Write(string name, JsonObject config)
        {
            var p = Path.Combine(_dir, name);
            Npz.Write(p, new[] { new KeyValuePair<string, NpyArray>(ModelDocument.ConfigMember, NpyArray.FromString(config.ToJsonString())) });
            return p;
        }
        JsonObject Json() => Document().ToJson();
        var newer = Json(); newer["format_version"] = ModelDocument.FormatVersion + 1;
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(Write("newer.npz", newer)))!.Message,
            Does.Contain($"version {ModelDocument.FormatVersion + 1}").And.Contain("newer.npz"));
        var other = Json(); other["format"] = "keras";
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(Write("other.npz", other)))!.Message, Does.Contain("keras"));
        var wrongPrior = Json(); wrongPrior["prior"] = new BoxUniformSpec(new[] { 0f }, new[] { 1f }).ToJson();
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(Write("prior.npz", wrongPrior)))!.Message, Does.Contain("dimension 1").And.Contain("D = 2"));
        var wrongX = Json(); wrongX["default_x"] = new JsonArray(1.0, 2.0);
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(Write("x.npz", wrongX)))!.Message, Does.Contain("default_x has 2 values"));
        var noConfig = Path.Combine(_dir, "plain.npz");
        Npz.Write(noConfig, Weights);
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(noConfig))!.Message, Does.Contain("config_json"));
        Assert.Throws<FileNotFoundException>(() => ModelArchive.Read(Path.Combine(_dir, "missing.npz")));
    }

    [Test]
    public void PriorJsonRoundTripsAndBadPriorsAreNamed()
    {
        var box = new BoxUniformSpec(new[] { -1f, 0.25f }, new[] { 1f, 3.5f });
        var back = (BoxUniformSpec)PriorSpec.FromJson(box.ToJson(), "p.json");
        Assert.That((back.Low, back.High), Is.EqualTo((box.Low, box.High)));
        Assert.That(box.InSupport(new[] { 1f, 3.5f }), Is.True, "sbi's box is closed");
        Assert.That(box.InSupport(new[] { float.NaN, 1f }), Is.False);
        var ex = Assert.Throws<SbiDataException>(() => PriorSpec.FromJson(new JsonObject { ["kind"] = "gamma" }, "p.json"));
        Assert.That(ex!.Message, Does.Contain("p.json").And.Contain("gamma"));
        ex = Assert.Throws<SbiDataException>(() => PriorSpec.FromJson(new JsonObject { ["kind"] = "box_uniform", ["low"] = new JsonArray(1.0), ["high"] = new JsonArray(0.0) }, "p.json"));
        Assert.That(ex!.Message, Does.Contain("p.json"));
    }
}
