using System.Text.Json;
using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Format.Tests;

/// <summary>Every committed fixture that holds a model (sbi's parity fixtures, earlier versions' model files) reads through Sbi.Format.</summary>
public class CommittedFixturesTests
{
    private static string Dir(string sub) => Path.Combine(AppContext.BaseDirectory, "fixtures", sub);

    private static IEnumerable<string> ParityFixtures() => Directory.GetFiles(Dir("parity"), "*.npz").Order(StringComparer.Ordinal);

    private static IEnumerable<string> FormatV1Models() => Directory.GetFiles(Dir("format-v1"), "model_*.npz").Order(StringComparer.Ordinal);

    [Test]
    public void TheFixturesAreThere()
    {
        Assert.That(ParityFixtures().Count(), Is.EqualTo(31));
        Assert.That(FormatV1Models().Count(), Is.EqualTo(5));
    }

    /// <summary>sbi's fixtures: a config with a built-in family whose D and C match the stored θ and x, the box prior of the arrays.</summary>
    [TestCaseSource(nameof(ParityFixtures))]
    public void ParityFixtureReads(string path)
    {
        var (doc, stateDict) = ModelArchive.Read(path);
        Assert.That(EstimatorDefaults.BuiltIn, Does.Contain(doc.Config.Estimator));
        var npz = NpzFile.Load(path);
        // The direct-posterior fixtures reuse another fixture's weights and name it.
        using (var meta = JsonDocument.Parse(npz.String("meta_json")))
            if (meta.RootElement.TryGetProperty("weights_from", out var from))
            {
                Assert.That(stateDict, Is.Empty);
                Assert.That(File.Exists(Path.Combine(Dir("parity"), from.GetString()!)), $"weights_from {from}");
            }
            else Assert.That(stateDict, Is.Not.Empty);
        Assert.That(doc.Prior, Is.InstanceOf<BoxUniformSpec>());
        Assert.That(doc.Prior!.D, Is.EqualTo(doc.Config.D));
        foreach (var (name, dim) in new[] { ("theta", doc.Config.D), ("x", doc.Config.C) })
            if (npz.TryGetValue(name, out var a) && a.NDim == 2)
                Assert.That(a.Shape[1], Is.EqualTo(dim), $"{name} columns");
        if (doc.Config.Estimator == "made") Assert.That(doc.Config.NumBlocks, Is.EqualTo(EstimatorDefaults.MadeMixtureBlocks));
    }

    /// <summary>Earlier versions' model files: format version 1, a prior of the right kind and dimension, the default x where one was set.</summary>
    [TestCaseSource(nameof(FormatV1Models))]
    public void FormatV1ModelReads(string path)
    {
        var json = NpzFile.Load(path).String(ModelDocument.ConfigMember);
        using (var raw = JsonDocument.Parse(json))
        {
            Assert.That(raw.RootElement.GetProperty("format").GetString(), Is.EqualTo(ModelDocument.FormatName));
            Assert.That(raw.RootElement.GetProperty("format_version").GetInt32(), Is.EqualTo(1));
        }
        var (doc, stateDict) = ModelArchive.Read(path);
        Assert.That(stateDict, Is.Not.Empty);
        Assert.That((doc.Config.D, doc.Config.C), Is.EqualTo((2, 3)));
        bool normal = path.EndsWith("_normal.npz", StringComparison.Ordinal);
        Assert.That(doc.Prior, normal ? Is.InstanceOf<MultivariateNormalSpec>() : Is.InstanceOf<BoxUniformSpec>());
        Assert.That(doc.DefaultX, normal ? Is.Null : Is.EqualTo(new[] { 0.1f, 0.2f, 0.3f }));
    }

    /// <summary>The exported package's manifest of that version keeps its prior in the same JSON form.</summary>
    [Test]
    public void FormatV1ManifestPriorReads()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir("format-v1"), "manifest.json")));
        var prior = PriorSpec.FromJson(manifest.RootElement.GetProperty("prior"), "manifest.json");
        Assert.That(prior, Is.EqualTo(new BoxUniformSpec(new[] { -1f, -1f }, new[] { 1f, 1f })).Using<PriorSpec>((a, b) => a.ToJson().ToJsonString() == b.ToJson().ToJsonString()));
    }
}
