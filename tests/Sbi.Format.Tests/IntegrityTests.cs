using System.Text.Json.Nodes;
using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Format.Tests;

public class IntegrityTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-format-int-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private static ModelDocument Document(int hidden = 2) => new(
        new EstimatorConfig { Estimator = "maf", D = 2, C = 2, XShape = new long[] { 2 }, HiddenFeatures = hidden, NumTransforms = 1, NumBlocks = 1 },
        new BoxUniformSpec(new[] { -1f, 0f }, new[] { 1f, 2f }), null);

    private static readonly KeyValuePair<string, NpyArray>[] Weights =
    {
        new("a.weight", NpyArray.FromFloat32(new[] { 1f, 2f, 3f, 4f }, new long[] { 2, 2 })),
        new("b.bias", NpyArray.FromFloat32(new[] { 5f, 6f }, new long[] { 2 })),
    };

    [Test]
    public void DigestsAreWrittenForEveryMemberAndMatchTheStoredBytes()
    {
        var path = Path.Combine(_dir, "m.npz");
        ModelArchive.Write(path, Document(), Weights);
        var json = JsonNode.Parse(NpzFile.Load(path).String(ModelDocument.ConfigMember))!;
        var digests = json[ModelDocument.DigestsField]!.AsObject();
        Assert.That(digests.Select(kv => kv.Key), Is.EquivalentTo(new[] { "sd/a.weight", "sd/b.bias" }));
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        using var s = zip.GetEntry("sd/a.weight.npy")!.Open();
        Assert.That(digests["sd/a.weight"]!.GetValue<string>(), Is.EqualTo(MemberDigests.Of(s)));
        Assert.That(ModelArchive.Read(path).Document.MemberSha256, Has.Count.EqualTo(2));
    }

    [Test]
    public void AChangedAddedOrRemovedMemberIsRefused()
    {
        var path = Path.Combine(_dir, "m.npz");
        ModelArchive.Write(path, Document(), Weights);
        var original = NpzFile.Load(path).ToList();
        void Rewrite(IEnumerable<KeyValuePair<string, NpyArray>> members) => Npz.Write(path, members, compressed: true);

        Rewrite(original.Select(kv => kv.Key == "sd/b.bias" ? new KeyValuePair<string, NpyArray>(kv.Key, NpyArray.FromFloat32(new[] { 5f, 6.5f })) : kv));
        var e = Assert.Throws<SbiDataException>(() => ModelArchive.Read(path));
        Assert.That(e!.Message, Does.Contain("sd/b.bias.npy").And.Contain("expected").And.Contain("actual"));

        Rewrite(original.Append(new("sd/extra", NpyArray.FromFloat32(new[] { 1f }))));
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(path))!.Message, Does.Contain("sd/extra.npy"));

        Rewrite(original.Where(kv => kv.Key != "sd/a.weight"));
        Assert.That(Assert.Throws<SbiDataException>(() => ModelArchive.Read(path))!.Message, Does.Contain("missing"));
    }

    [Test]
    public void OldSbiNetFilesGetOneNoteAndSbiFixturesNone()
    {
        var path = Path.Combine(_dir, "old.npz");
        var json = Document().ToJson().ToJsonString();
        Npz.Write(path, Weights.Select(kv => new KeyValuePair<string, NpyArray>("sd/" + kv.Key, kv.Value))
                              .Append(new(ModelDocument.ConfigMember, NpyArray.FromString(json))));
        var notes = new List<string>();
        Assert.That(ModelArchive.Read(path, notes.Add).StateDict, Has.Count.EqualTo(2));
        Assert.That(notes, Has.Count.EqualTo(1));
        var fixtureJson = JsonNode.Parse(json)!.AsObject();
        fixtureJson.Remove("format");
        fixtureJson.Remove("format_version");
        Npz.Write(path, Weights.Select(kv => new KeyValuePair<string, NpyArray>("sd/" + kv.Key, kv.Value))
                              .Append(new(ModelDocument.ConfigMember, NpyArray.FromString(fixtureJson.ToJsonString()))));
        notes.Clear();
        ModelArchive.Read(path, notes.Add);
        Assert.That(notes, Is.Empty);
    }

    [TestCase("hidden_features", 1_000_000_000)]
    [TestCase("C", 1000)]
    [TestCase("num_transforms", 1_000_000)]
    [TestCase("num_blocks", 1000)]
    public void SizeFieldsOutOfRangeForTheWeightsAreRefused(string field, int value)
    {
        var path = Path.Combine(_dir, "m.npz");
        ModelArchive.Write(path, Document(), Weights);
        var members = NpzFile.Load(path).ToList();
        var j = JsonNode.Parse(members.Single(m => m.Key == ModelDocument.ConfigMember).Value.AsString())!.AsObject();
        j[field] = value;
        Npz.Write(path, members.Select(m => m.Key == ModelDocument.ConfigMember ? new KeyValuePair<string, NpyArray>(m.Key, NpyArray.FromString(j.ToJsonString())) : m), compressed: true);
        var e = Assert.Throws<SbiDataException>(() => ModelArchive.Read(path));
        Assert.That(e!.Message, Does.Contain($"\"{field}\" is {value}"));
    }
}
