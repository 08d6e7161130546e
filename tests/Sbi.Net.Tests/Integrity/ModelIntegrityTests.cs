using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Numpy;
using Sbi.Posteriors;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Integrity;

/// <summary>Hostile model files, made here from a small MAF: altered members, NaN weights, configs that lie about sizes.</summary>
public class ModelIntegrityTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-integrity-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private const string Weight = "net._transform._transforms.1.autoregressive_net.initial_layer.weight";

    private string SavedMaf(string name = "m.npz")
    {
        using var scope = NewDisposeScope();
        var est = Sbi.Tests.Estimators.MafTests.RandomMaf(2, 2, 3);
        using var prior = new BoxUniform(new float[] { -5, -5 }, new float[] { 5, 5 });
        var path = Path.Combine(_dir, name);
        ModelFile.Save(path, est, prior);
        return path;
    }

    /// <summary>Rewrites the archive with <paramref name="edit"/> applied to its members (config_json included), keeping the rest byte for byte.</summary>
    private static void Rewrite(string path, Func<string, NpyArray, NpyArray> edit)
    {
        var npz = NpzFile.Load(path);
        var members = npz.Select(kv => new KeyValuePair<string, NpyArray>(kv.Key, edit(kv.Key, kv.Value))).ToList();
        Npz.Write(path, members, compressed: true);
    }

    private static NpyArray WithConfig(NpyArray config, Action<JsonObject> change)
    {
        var j = JsonNode.Parse(config.AsString())!.AsObject();
        change(j);
        return NpyArray.FromString(j.ToJsonString());
    }

    [Test]
    public void AFlippedByteInAMemberIsRefusedNamingMemberAndDigests()
    {
        var path = SavedMaf();
        Rewrite(path, (key, a) =>
        {
            if (key != "sd/" + Weight) return a;
            var bytes = a.RawBytes.ToArray();
            bytes[5] ^= 0x01;   // one bit of one float: a valid file that samples differently
            return NpyArray.FromBytes(a.ElementType, a.Shape, bytes);
        });
        var e = Assert.Throws<SbiDataException>(() => ModelFile.Load(path, logger: NullLogger.Instance));
        Assert.That(e!.Message, Does.Contain(path).And.Contain(Weight).And.Contain("expected").And.Contain("actual"));
    }

    [Test]
    public void AFileWithoutDigestsLoadsWithOneNote()
    {
        var path = SavedMaf();
        using var scope = NewDisposeScope();
        var theta = randn(20, 2);
        var x = randn(1, 2);
        var before = ModelFile.LoadParts(path, logger: NullLogger.Instance).Estimator.LogProb(theta, x);
        Rewrite(path, (key, a) => key == "config_json" ? WithConfig(a, j => j.Remove("member_sha256")) : a);
        var log = new ListLogger();
        var after = ModelFile.LoadParts(path, logger: log).Estimator.LogProb(theta, x);
        Assert.That(log.Entries, Has.Count.EqualTo(1));
        Assert.That(log.Entries[0].Level, Is.EqualTo(LogLevel.Information), "a note, not a warning");
        Assert.That(log.Entries[0].EventId, Is.EqualTo(LogEvents.ModelFiles));
        Assert.That(log.Entries[0].Message, Does.Contain("member digests"));
        Assert.That(after.sub(before).abs().max().item<float>(), Is.EqualTo(0f));
    }

    [Test]
    public void NonFiniteWeightsAreRefusedOnLoadNamingTheTensor()
    {
        using var scope = NewDisposeScope();
        var est = Sbi.Tests.Estimators.MafTests.RandomMaf(2, 2, 3);
        using (no_grad()) est.state_dict()[Weight][0, 0] = tensor(float.NaN);
        using var prior = new BoxUniform(new float[] { -5, -5 }, new float[] { 5, 5 });
        var path = Path.Combine(_dir, "nan.npz");
        ModelFile.Save(path, est, prior);
        var e = Assert.Throws<SbiDataException>(() => ModelFile.Load(path, logger: NullLogger.Instance));
        Assert.That(e!.Message, Does.Contain(Weight).And.Contain("non-finite"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void NonFiniteWeightsAreRefusedBeforeSampling(bool fused)
    {
        using var scope = NewDisposeScope();
        var est = Sbi.Tests.Estimators.MafTests.RandomMaf(2, 2, 3);
        est.Net.UseFusedSampler = fused;
        using (no_grad()) est.state_dict()[Weight][1, 0] = tensor(float.PositiveInfinity);
        using var prior = new BoxUniform(new float[] { -5, -5 }, new float[] { 5, 5 });
        var post = new DirectPosterior(est, prior, logger: NullLogger.Instance);
        var x = zeros(1, 2);
        var e = Assert.Throws<InvalidOperationException>(() => post.Sample(10, x));
        Assert.That(e!.Message, Does.Contain(Weight));
        Assert.Throws<InvalidOperationException>(() => post.SampleBatched(5, zeros(3, 2)));
        Assert.Throws<InvalidOperationException>(() => post.Sample(10, x, rejectOutsidePrior: false));
        // Where the fused kernels cannot run (no AVX2/FMA, SBI_NET_FUSED=0) the module path sampled above: nothing more to check.
        if (fused && Sbi.Nn.Fused.FusedAvailability.Reason is null)
        {
            // The fused sampler itself refuses, also when the estimator is sampled without a posterior.
            using var _ = no_grad();
            var direct = Assert.Throws<InvalidOperationException>(() => est.Sample(10, x));
            Assert.That(direct!.Message, Does.Contain("fused"));
        }
    }

    [Test]
    public void AHugeHiddenFeaturesFailsFastWithBoundedAllocation()
    {
        var path = SavedMaf();
        Rewrite(path, (key, a) => key == "config_json" ? WithConfig(a, j => j["hidden_features"] = 1_000_000_000) : a);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<SbiDataException>(() => ModelFile.Load(path, logger: NullLogger.Instance));
        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.That(e!.Message, Does.Contain("hidden_features").And.Contain("1000000000"));
        // Issue 13's budgets: under a second, and no allocation of the claimed size (1e9 × 2 floats would be 8 GB).
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(allocated, Is.LessThan(200L << 20));
    }

    [Test]
    public void AConfigThatDisagreesWithTheWeightsIsRefusedBeforeRebuilding()
    {
        var path = SavedMaf();
        // 17 fits in the weights' longest axis, so only the family's inference (hidden width 16) can tell.
        Rewrite(path, (key, a) => key == "config_json" ? WithConfig(a, j => j["hidden_features"] = 17) : a);
        var e = Assert.Throws<SbiDataException>(() => ModelFile.Load(path, logger: NullLogger.Instance));
        Assert.That(e!.Message, Does.Contain("hidden_features").And.Contain("17").And.Contain("16"));
    }

    [Test]
    public void StateDictFilesWithNonFiniteWeightsAreRefused()
    {
        using var scope = NewDisposeScope();
        var est = Sbi.Tests.Estimators.MafTests.RandomMaf(2, 2, 3);
        using (no_grad()) est.state_dict()[Weight][0, 1] = tensor(float.NaN);
        var pt = Path.Combine(_dir, "nan.pt");
        SbiStateDict.Save(pt, est);
        var e = Assert.Throws<SbiDataException>(() => SbiStateDict.Load(pt));
        Assert.That(e!.Message, Does.Contain(Weight));
    }
}
