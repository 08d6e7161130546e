using System.IO.Compression;
using NUnit.Framework;
using Sbi.Compat.Pickle;
using static TorchSharp.torch;

namespace Sbi.Compat.Tests;

public class TorchPtTests
{
    private TorchSharp.DisposeScope? _scope;

    [SetUp] public void SetUp() => _scope = NewDisposeScope();
    [TearDown] public void TearDown() => _scope?.Dispose();

    internal static long LiveTensors() => TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    private static float[] F(Tensor t) => t.data<float>().ToArray();

    [Test]
    public void ReadsSingleTensorsOfEachDType()
    {
        var f = TorchPt.LoadTensor(TestData.Pt("f32_2x3.pt"));
        Assert.That(f.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(f.shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(F(f), Is.EqualTo(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }));

        var d = TorchPt.LoadTensor(TestData.Pt("f64_4.pt"));
        Assert.That(d.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(d.data<double>().ToArray(), Is.EqualTo(new[] { 0.1, -2.5, 1e300, Math.PI }));

        var l = TorchPt.LoadTensor(TestData.Pt("i64_2x2.pt"));
        Assert.That(l.dtype, Is.EqualTo(ScalarType.Int64));
        Assert.That(l.data<long>().ToArray(), Is.EqualTo(new[] { long.MinValue, 0, 42, long.MaxValue }));

        var i = TorchPt.LoadTensor(TestData.Pt("i32_3.pt"));
        Assert.That(i.dtype, Is.EqualTo(ScalarType.Int32));
        Assert.That(i.data<int>().ToArray(), Is.EqualTo(new[] { -1, 0, int.MaxValue }));

        var b = TorchPt.LoadTensor(TestData.Pt("bool_3.pt"));
        Assert.That(b.dtype, Is.EqualTo(ScalarType.Bool));
        Assert.That(b.data<bool>().ToArray(), Is.EqualTo(new[] { true, false, true }));
    }

    [Test]
    public void ReadsScalarEmptyAndParameter()
    {
        var s = TorchPt.LoadTensor(TestData.Pt("f32_scalar.pt"));
        Assert.That(s.dim(), Is.EqualTo(0));
        Assert.That(s.item<float>(), Is.EqualTo(3.5f));
        var e = TorchPt.LoadTensor(TestData.Pt("f32_empty_0x3.pt"));
        Assert.That(e.shape, Is.EqualTo(new long[] { 0, 3 }));
        var p = TorchPt.LoadTensor(TestData.Pt("parameter.pt"));
        Assert.That(F(p), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(p.requires_grad, Is.False);
    }

    [Test]
    public void ReadsViewsWithStridesAndOffsets()
    {
        var t = TorchPt.LoadTensor(TestData.Pt("f32_transposed_4x3.pt"));
        Assert.That(t.shape, Is.EqualTo(new long[] { 4, 3 }));
        Assert.That(t.is_contiguous());
        Assert.That(F(t), Is.EqualTo(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }));
        var v = TorchPt.LoadTensors(TestData.Pt("views_tuple.pt"));
        Assert.That(v, Has.Length.EqualTo(2));
        Assert.That(v[0].shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(F(v[0]), Is.EqualTo(new float[] { 5, 6, 9, 10 }));
        Assert.That(F(v[1]), Is.EqualTo(new float[] { 0, 1, 2, 3 }));
    }

    [TestCase("sim_tuple.pt")]
    [TestCase("sim_list.pt")]
    public void ReadsTupleAndList(string file)
    {
        var ts = TorchPt.LoadTensors(TestData.Pt(file));
        Assert.That(ts, Has.Length.EqualTo(2));
        Assert.That(ts[0].shape, Is.EqualTo(new long[] { 5, 2 }));
        Assert.That(ts[0].dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(ts[1].shape, Is.EqualTo(new long[] { 5, 3 }));
        Assert.That(ts[1].dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(ts[0][4, 1].item<float>(), Is.EqualTo(9f));
        Assert.That(double.IsNaN(ts[1][1, 0].item<double>()));
    }

    [Test]
    public void ReadsDictsInFileOrder()
    {
        var d = TorchPt.LoadTensorDict(TestData.Pt("sim_dict.pt"));
        Assert.That(d.Select(kv => kv.Key), Is.EqualTo(new[] { "theta", "x" }));
        var od = TorchPt.LoadTensorDict(TestData.Pt("sim_ordereddict.pt"));
        Assert.That(od.Select(kv => kv.Key), Is.EqualTo(new[] { "x", "theta" }));
        Assert.That(od[1].Value.shape, Is.EqualTo(new long[] { 5, 2 }));
    }

    [Test]
    public void StateDictMatchesTheSameValuesSavedAsNpz()
    {
        var sd = TorchPt.LoadTensorDict(TestData.Pt("linear_state_dict.pt"));
        var npz = NpzFile.Load(TestData.Pt("linear_state_dict.npz"));
        Assert.That(sd.Select(kv => kv.Key), Is.EqualTo(npz.Keys));
        foreach (var (k, t) in sd)
        {
            Assert.That(t.dtype, Is.EqualTo(ScalarType.Float64));
            Assert.That(t.shape, Is.EqualTo(npz[k].Shape));
            Assert.That(t.data<double>().ToArray(), Is.EqualTo(npz[k].AsFloat64()));
        }
        var raw = (PickleDict)TorchPt.Load(TestData.Pt("linear_state_dict.pt"))!;
        Assert.That(raw.State, Is.Not.Null, "state_dict _metadata kept as the dict's BUILD state");
    }

    [Test]
    public void ReadsNestedPlainValues()
    {
        var o = (PickleDict)TorchPt.Load(TestData.Pt("nested.pt"))!;
        var meta = (PickleDict)o["meta"]!;
        Assert.That(meta["n"], Is.EqualTo(5L));
        Assert.That(meta["name"], Is.EqualTo("gauss"));
        Assert.That(meta["scale"], Is.EqualTo(0.5));
        Assert.That(meta["ok"], Is.EqualTo(true));
        Assert.That(meta["none"], Is.Null);
        Assert.That(o["theta"], Is.InstanceOf<Tensor>());
    }

    [Test]
    public void WrongContainerKindIsReported()
    {
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.LoadTensor(TestData.Pt("sim_tuple.pt")));
        Assert.That(ex!.Message, Does.Contain("expected one tensor").And.Contain("a tuple of 2"));
        ex = Assert.Throws<InvalidDataException>(() => TorchPt.LoadTensorDict(TestData.Pt("f32_2x3.pt")));
        Assert.That(ex!.Message, Does.Contain("expected a dict").And.Contain("shape (2, 3)"));
        ex = Assert.Throws<InvalidDataException>(() => TorchPt.LoadTensors(TestData.Pt("nested.pt")));
        Assert.That(ex!.Message, Does.Contain("'theta', 'x', 'meta'"));
    }

    // ------------------------------------------------------------------ bad input

    [Test]
    public void MissingFile()
    {
        Assert.Throws<FileNotFoundException>(() => TorchPt.Load("/nonexistent/x.pt"));
    }

    [Test]
    public void LegacyFormatIsRefusedWithAdvice()
    {
        var p = TestData.Pt("legacy_format.pt");
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("legacy"));
    }

    [Test]
    public void UnsupportedPythonObjectIsRefusedAndNothingLeaks()
    {
        var p = TestData.Pt("unsupported_object.pt");
        long before = LiveTensors();
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("collections.Counter"));
        Assert.That(LiveTensors(), Is.EqualTo(before), "tensors built before the failure are disposed");
        using (var ok = TorchPt.LoadTensor(TestData.Pt("f32_2x3.pt")))
            Assert.That(LiveTensors(), Is.EqualTo(before + 1), "the live-tensor count works (one result, storages disposed)");
    }

    [Test]
    public void WrongMagic()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("x.pt");
        File.WriteAllText(p, "definitely not torch");
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("not a PyTorch zip file"));
        File.WriteAllBytes(p, Array.Empty<byte>());
        ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain("empty file"));
    }

    [Test]
    public void TruncatedFile()
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Pt("sim_tuple.pt"));
        var p = tmp.File("t.pt");
        foreach (int len in new[] { 10, bytes.Length / 2, bytes.Length - 30 })
        {
            File.WriteAllBytes(p, bytes[..len]);
            var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p), $"length {len}");
            Assert.That(ex!.Message, Does.Contain(p));
        }
    }

    [Test]
    public void ZipWithoutDataPkl()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("z.pt");
        using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
            zip.CreateEntryFromFile(TestData.Npy("f4_2x3.npy"), "a.npy");
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain("data.pkl"));
        // an .npz is a zip too: the message should say what is missing
        ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(TestData.Npy("mixed.npz")));
        Assert.That(ex!.Message, Does.Contain("data.pkl"));
    }

    [Test]
    public void StorageShorterThanTensorIsRefused()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("s.pt");
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("/data/1") ? data[..16] : data);
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("data/1").And.Contain("need 120"));
    }

    [Test]
    public void MissingStorageMemberIsRefused()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("s.pt");
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("/data/0") ? null : data);
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain("data/0").And.Contain("missing"));
    }

    [Test]
    public void CorruptPickleIsRefused()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("c.pt");
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("data.pkl") ? data[..(data.Length / 2)] : data);
        var ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("pickle"));
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("data.pkl") ? data.Select((b, i) => i == 2 ? (byte)0xff : b).ToArray() : data);
        ex = Assert.Throws<InvalidDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain("opcode 0xff"));
    }

    /// <summary>Copies a zip, transforming (or dropping, on null) member data.</summary>
    private static void Rewrite(string src, string dst, Func<string, byte[], byte[]?> f)
    {
        File.Delete(dst);
        using var input = ZipFile.OpenRead(src);
        using var output = ZipFile.Open(dst, ZipArchiveMode.Create);
        foreach (var e in input.Entries)
        {
            using var ms = new MemoryStream();
            using (var s = e.Open()) s.CopyTo(ms);
            var data = f(e.FullName, ms.ToArray());
            if (data == null) continue;
            using var o = output.CreateEntry(e.FullName, CompressionLevel.NoCompression).Open();
            o.Write(data);
        }
    }
}

public class TorchPtWriteTests
{
    private TorchSharp.DisposeScope? _scope;

    [SetUp] public void SetUp() => _scope = NewDisposeScope();
    [TearDown] public void TearDown() => _scope?.Dispose();

    [Test]
    public void RoundTripsThroughOurReader()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("rt.pt");
        var theta = arange(10, dtype: ScalarType.Float32).reshape(5, 2);
        var x = arange(15, dtype: ScalarType.Float64).reshape(3, 5).t(); // non-contiguous
        TorchPt.Save(p, new object?[] { theta, x });
        var back = TorchPt.LoadTensors(p);
        Assert.That(back[0].data<float>().ToArray(), Is.EqualTo(theta.data<float>().ToArray()));
        Assert.That(back[1].shape, Is.EqualTo(new long[] { 5, 3 }));
        Assert.That(back[1].dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(back[1].eq(x).all().item<bool>(), Is.True);

        TorchPt.Save(p, new List<KeyValuePair<string, Tensor>> { new("b", tensor(new[] { true, false })), new("a", tensor(new long[] { long.MinValue, 3 })) });
        var d = TorchPt.LoadTensorDict(p);
        Assert.That(d.Select(kv => kv.Key), Is.EqualTo(new[] { "b", "a" }));
        Assert.That(d[1].Value.data<long>().ToArray(), Is.EqualTo(new[] { long.MinValue, 3 }));

        var nested = new PickleDict();
        nested.Set("n", 5L);
        nested.Set("name", "gauss \u00e9");
        nested.Set("scale", 0.5);
        nested.Set("none", null);
        nested.Set("list", new List<object?> { tensor(3.5f), 2L });
        nested.Set("empty", zeros(0, 3));
        TorchPt.Save(p, nested);
        var o = (PickleDict)TorchPt.Load(p)!;
        Assert.That(o["n"], Is.EqualTo(5L));
        Assert.That(o["name"], Is.EqualTo("gauss \u00e9"));
        Assert.That(o["scale"], Is.EqualTo(0.5));
        Assert.That(o["none"], Is.Null);
        Assert.That(((Tensor)((List<object?>)o["list"]!)[0]!).item<float>(), Is.EqualTo(3.5f));
        Assert.That(((Tensor)o["empty"]!).shape, Is.EqualTo(new long[] { 0, 3 }));
    }

    [Test]
    public void RejectsUnsupportedValues()
    {
        using var tmp = TestData.Temp();
        Assert.Throws<ArgumentException>(() => TorchPt.Save(tmp.File("a.pt"), new Uri("http://x")));
        Assert.Throws<ArgumentException>(() => TorchPt.Save(tmp.File("b.pt"), ones(2, dtype: ScalarType.ComplexFloat32)));
    }

    [Test]
    public void PythonTorchLoadsWhatWeWrite()
    {
        // Python's torch runs in a separate process: it must never share one with TorchSharp.
        using var tmp = TestData.Temp();
        var p = tmp.File("for_python.pt");
        var sd = new List<KeyValuePair<string, Tensor>>
        {
            new("theta", tensor(new float[] { 1, 2.5f, -3, 4 }, 2, 2)),
            new("x", arange(6, dtype: ScalarType.Float64).reshape(2, 3).t()),
            new("idx", tensor(new long[] { long.MaxValue, -1 })),
            new("mask", tensor(new[] { true, false })),
        };
        TorchPt.Save(p, sd);
        var o = PythonProcess.RunNumpy(
            "try:\n    import torch\nexcept ImportError:\n    print('NO_TORCH'); sys.exit(0)\n" +
            "d = torch.load(sys.argv[1])\n" +
            "for k, v in d.items(): print(k, str(v.dtype), tuple(v.shape), v.tolist())\n", p);
        if (o == "NO_TORCH") Assert.Ignore("python3-torch not installed; cross-check skipped");
        Assert.That(o.Split('\n'), Is.EqualTo(new[]
        {
            "theta torch.float32 (2, 2) [[1.0, 2.5], [-3.0, 4.0]]",
            "x torch.float64 (3, 2) [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]",
            "idx torch.int64 (2,) [9223372036854775807, -1]",
            "mask torch.bool (2,) [True, False]",
        }));
    }
}
