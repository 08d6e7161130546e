using System.Diagnostics;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Sbi.Format;
using Sbi.Numpy;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Package;
using Sbi.Onnx.Runtime;

namespace Sbi.Onnx.Tests;

/// <summary>Hostile packages made here from the maf_D2 fixture: altered graphs, NaN weights, manifests naming outside files, interrupted exports.</summary>
public class PackageIntegrityTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-integrity-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private static EstimatorModel Maf() => EstimatorModel.LoadNpz(Fixtures.PathOf("maf", 2), _ => { });
    private static float[] X0() => Fixtures.Arrays("maf", 2)["x_cond"].AsFloat32()[..3];
    private static OnnxPosterior Open(string dir) => OnnxPosterior.Load(dir, new OnnxPosteriorOptions { Log = _ => { } });

    private string Exported(EstimatorModel? model = null, string name = "pkg")
    {
        var dir = Path.Combine(_dir, name);
        PosteriorExporter.Export(model ?? Maf(), dir);
        return dir;
    }

    private static EstimatorModel WithNaN(EstimatorModel m, string key)
    {
        var sd = m.StateDict.ToDictionary(kv => kv.Key, kv => kv.Value);
        var v = sd[key].AsFloat32();
        v[0] = float.NaN;
        sd[key] = NpyArray.FromFloat32(v, sd[key].Shape);
        return new EstimatorModel { Config = m.Config, StateDict = sd, Prior = m.Prior };
    }

    [Test]
    public void AModifiedSampleGraphIsRefusedNamingFileAndDigests()
    {
        var dir = Exported();
        var path = Path.Combine(dir, PosteriorExporter.SampleFile);
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SbiDataException>(() => Open(dir));
        Assert.That(e!.Message, Does.Contain(PosteriorExporter.SampleFile).And.Contain("expected").And.Contain("actual"));
    }

    [Test]
    public void NonFiniteWeightsAreRefusedOnExportAndOnLoad()
    {
        var m = Maf();
        string key = m.StateDict.Keys.First(k => k.EndsWith("initial_layer.weight", StringComparison.Ordinal));
        var e = Assert.Throws<SbiDataException>(() => PosteriorExporter.Export(WithNaN(m, key), Path.Combine(_dir, "nan")));
        Assert.That(e!.Message, Does.Contain(key).And.Contain("non-finite"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "nan")), Is.False, "nothing is written");

        // A model file holding the NaN: refused by the loader.
        var npz = Path.Combine(_dir, "nan.npz");
        var bad = WithNaN(m, key);
        ModelArchive.Write(npz, new ModelDocument(bad.Config, bad.Prior, null), bad.StateDict);
        Assert.Throws<SbiDataException>(() => EstimatorModel.LoadNpz(npz, _ => { }));
    }

    [Test]
    public void AGraphWithANonFiniteInitializerIsRefusedOnLoadEvenWithoutDigests()
    {
        var dir = Exported();
        var path = Path.Combine(dir, PosteriorExporter.LogProbFile);
        var model = Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var init = model.Graph.Initializer.First(t => t.DataType == (int)Proto.TensorProto.Types.DataType.Float && t.RawData.Length >= 4);
        var raw = init.RawData.ToByteArray();
        BitConverter.GetBytes(float.NaN).CopyTo(raw, 0);
        init.RawData = Google.Protobuf.ByteString.CopyFrom(raw);
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        EditManifest(dir, j => j.Remove("sha256"));
        var e = Assert.Throws<SbiDataException>(() => Open(dir));
        Assert.That(e!.Message, Does.Contain(init.Name).And.Contain("non-finite"));
    }

    [Test]
    public void PackagesWithoutDigestsLoadWithOneNote()
    {
        var dir = Exported();
        var expected = Open(dir).Sample(50, X0(), 7);
        EditManifest(dir, j => j.Remove("sha256"));
        var log = new List<string>();
        using var post = OnnxPosterior.Load(dir, new OnnxPosteriorOptions { Log = log.Add });
        Assert.That(log.Count(l => l.Contains("before package digests")), Is.EqualTo(1));
        Assert.That(post.Sample(50, X0(), 7), Is.EqualTo(expected));
    }

    [TestCase("../x")]
    [TestCase("/etc/passwd")]
    [TestCase("sub/sample.onnx")]
    [TestCase("..")]
    public void ManifestPathsOutsideThePackageAreRefused(string file)
    {
        var dir = Exported();
        EditManifest(dir, j => j["sample"]!["file"] = file);
        var e = Assert.Throws<SbiDataException>(() => Open(dir));
        Assert.That(e!.Message, Does.Contain(file).And.Contain("plain file name"));
    }

    [Test]
    public void ASymlinkLeadingOutOfThePackageIsRefused()
    {
        var dir = Exported();
        var outside = Path.Combine(_dir, "outside.onnx");
        File.Move(Path.Combine(dir, PosteriorExporter.SampleFile), outside);
        try { File.CreateSymbolicLink(Path.Combine(dir, PosteriorExporter.SampleFile), outside); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Assert.Ignore($"symbolic links cannot be created here: {e.Message}"); }
        var err = Assert.Throws<SbiDataException>(() => Open(dir));
        Assert.That(err!.Message, Does.Contain("outside the package"));
    }

    [TestCase("graphs-written")]
    [TestCase("old-moved-away")]
    public void AnInterruptedExportLeavesTheOldPackage(string point)
    {
        var dir = Exported();
        float[,] before;
        using (var post = Open(dir)) before = post.Sample(200, X0(), 11);
        // Another estimator (the NSF fixture) over the same package: interrupted at the given point.
        PosteriorExporter.Fault = p => { if (p == point) throw new IOException("injected fault at " + p); };
        try { Assert.Throws<IOException>(() => PosteriorExporter.Export(EstimatorModel.LoadNpz(Fixtures.PathOf("nsf", 2), _ => { }), dir)); }
        finally { PosteriorExporter.Fault = null; }
        using (var post = Open(dir))
        {
            Assert.That(post.Manifest.EstimatorName, Is.EqualTo("maf"));
            Assert.That(post.Sample(200, X0(), 11), Is.EqualTo(before));
        }
        Assert.That(Directory.GetDirectories(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "pkg" }), "no staging folder is left");
        // An export that completes replaces the package as a whole.
        PosteriorExporter.Export(EstimatorModel.LoadNpz(Fixtures.PathOf("nsf", 2), _ => { }), dir);
        using (var post = Open(dir)) Assert.That(post.Manifest.EstimatorName, Is.EqualTo("nsf"));
    }

    [Test]
    public void ExportRefusesToReplaceAFolderThatIsNotAPackage()
    {
        var dir = Path.Combine(_dir, "mine");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "keep me");
        Assert.Throws<SbiDataException>(() => PosteriorExporter.Export(Maf(), dir));
        Assert.That(File.Exists(Path.Combine(dir, "notes.txt")));
    }

    [Test]
    public void SampleAndLogProbOverloadsStopAtTheirTimeLimit()
    {
        // The maf_D2 estimator with a tiny box far in its tail: almost nothing is accepted.
        var m = Maf();
        var far = new EstimatorModel { Config = m.Config, StateDict = m.StateDict, Prior = new BoxUniformSpec(new[] { 40f, 40f }, new[] { 40.001f, 40.001f }) };
        using var post = Open(Exported(far));
        var limit = TimeSpan.FromSeconds(0.3);
        // One more batch of 10,000 draws after the limit takes milliseconds; the margin only absorbs a loaded machine.
        var margin = TimeSpan.FromSeconds(3);
        foreach (Action call in new Action[]
        {
            () => post.Sample(100, X0(), new Random(1), limit),
            () => post.LogProb(new float[1, 2] { { 40.0005f, 40.0005f } }, X0(), true, limit),
        })
        {
            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<TimeoutException>(() => call());
            Assert.That(clock.Elapsed, Is.LessThan(limit + margin));
            Assert.That(e!.Message, Does.Contain("unlikely under the trained posterior").And.Contain("0.000 %"));
        }
    }

    private static void EditManifest(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, PosteriorManifest.FileName);
        var j = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(j);
        File.WriteAllText(path, j.ToJsonString());
    }
}
