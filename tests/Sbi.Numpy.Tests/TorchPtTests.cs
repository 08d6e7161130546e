using System.IO.Compression;
using NUnit.Framework;
using Sbi.Numpy.Pickle;

namespace Sbi.Numpy.Tests;

public class TorchPtTests
{
    private static float[] F(NpyArray t) => t.AsFloat32();

    [Test]
    public void ReadsSingleTensorsOfEachDType()
    {
        var f = TorchPt.LoadArray(TestData.Pt("f32_2x3.pt"));
        Assert.That(f.ElementType, Is.EqualTo(NpyElementType.Float32));
        Assert.That(f.Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(F(f), Is.EqualTo(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }));

        var d = TorchPt.LoadArray(TestData.Pt("f64_4.pt"));
        Assert.That(d.ElementType, Is.EqualTo(NpyElementType.Float64));
        Assert.That(d.AsFloat64(), Is.EqualTo(new[] { 0.1, -2.5, 1e300, Math.PI }));

        var l = TorchPt.LoadArray(TestData.Pt("i64_2x2.pt"));
        Assert.That(l.ElementType, Is.EqualTo(NpyElementType.Int64));
        Assert.That(l.AsInt64(), Is.EqualTo(new[] { long.MinValue, 0, 42, long.MaxValue }));

        var i = TorchPt.LoadArray(TestData.Pt("i32_3.pt"));
        Assert.That(i.ElementType, Is.EqualTo(NpyElementType.Int32));
        Assert.That(i.AsInt32(), Is.EqualTo(new[] { -1, 0, int.MaxValue }));

        var b = TorchPt.LoadArray(TestData.Pt("bool_3.pt"));
        Assert.That(b.ElementType, Is.EqualTo(NpyElementType.Bool));
        Assert.That(b.AsBool(), Is.EqualTo(new[] { true, false, true }));
    }

    [Test]
    public void ReadsScalarEmptyAndParameter()
    {
        var s = TorchPt.LoadArray(TestData.Pt("f32_scalar.pt"));
        Assert.That(s.NDim, Is.EqualTo(0));
        Assert.That(s.AsFloat32(), Is.EqualTo(new[] { 3.5f }));
        var e = TorchPt.LoadArray(TestData.Pt("f32_empty_0x3.pt"));
        Assert.That(e.Shape, Is.EqualTo(new long[] { 0, 3 }));
        var p = TorchPt.LoadArray(TestData.Pt("parameter.pt"));
        Assert.That(F(p), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void ReadsViewsWithStridesAndOffsets()
    {
        var t = TorchPt.LoadArray(TestData.Pt("f32_transposed_4x3.pt"));
        Assert.That(t.Shape, Is.EqualTo(new long[] { 4, 3 }));
        Assert.That(t.FortranOrder, Is.False, "strided views come back C-ordered");
        Assert.That(F(t), Is.EqualTo(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }));
        var v = TorchPt.LoadArrays(TestData.Pt("views_tuple.pt"));
        Assert.That(v, Has.Length.EqualTo(2));
        Assert.That(v[0].Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(F(v[0]), Is.EqualTo(new float[] { 5, 6, 9, 10 }));
        Assert.That(F(v[1]), Is.EqualTo(new float[] { 0, 1, 2, 3 }));
    }

    [TestCase("sim_tuple.pt")]
    [TestCase("sim_list.pt")]
    public void ReadsTupleAndList(string file)
    {
        var ts = TorchPt.LoadArrays(TestData.Pt(file));
        Assert.That(ts, Has.Length.EqualTo(2));
        Assert.That(ts[0].Shape, Is.EqualTo(new long[] { 5, 2 }));
        Assert.That(ts[0].ElementType, Is.EqualTo(NpyElementType.Float32));
        Assert.That(ts[1].Shape, Is.EqualTo(new long[] { 5, 3 }));
        Assert.That(ts[1].ElementType, Is.EqualTo(NpyElementType.Float64));
        Assert.That(ts[0].AsFloat32()[4 * 2 + 1], Is.EqualTo(9f));
        Assert.That(double.IsNaN(ts[1].AsFloat64()[1 * 3 + 0]));
    }

    [Test]
    public void ReadsDictsInFileOrder()
    {
        var d = TorchPt.LoadArrayDict(TestData.Pt("sim_dict.pt"));
        Assert.That(d.Select(kv => kv.Key), Is.EqualTo(new[] { "theta", "x" }));
        var od = TorchPt.LoadArrayDict(TestData.Pt("sim_ordereddict.pt"));
        Assert.That(od.Select(kv => kv.Key), Is.EqualTo(new[] { "x", "theta" }));
        Assert.That(od[1].Value.Shape, Is.EqualTo(new long[] { 5, 2 }));
    }

    [Test]
    public void StateDictMatchesTheSameValuesSavedAsNpz()
    {
        var sd = TorchPt.LoadArrayDict(TestData.Pt("linear_state_dict.pt"));
        var npz = NpzFile.Load(TestData.Pt("linear_state_dict.npz"));
        Assert.That(sd.Select(kv => kv.Key), Is.EqualTo(npz.Keys));
        foreach (var (k, t) in sd)
        {
            Assert.That(t.ElementType, Is.EqualTo(NpyElementType.Float64));
            Assert.That(t.Shape, Is.EqualTo(npz[k].Shape));
            Assert.That(t.AsFloat64(), Is.EqualTo(npz[k].AsFloat64()));
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
        Assert.That(o["theta"], Is.InstanceOf<NpyArray>());
    }

    [Test]
    public void WrongContainerKindIsReported()
    {
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.LoadArray(TestData.Pt("sim_tuple.pt")));
        Assert.That(ex!.Message, Does.Contain("expected one tensor").And.Contain("a tuple of 2"));
        ex = Assert.Throws<SbiDataException>(() => TorchPt.LoadArrayDict(TestData.Pt("f32_2x3.pt")));
        Assert.That(ex!.Message, Does.Contain("expected a dict").And.Contain("shape (2, 3)"));
        ex = Assert.Throws<SbiDataException>(() => TorchPt.LoadArrays(TestData.Pt("nested.pt")));
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
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("legacy"));
    }

    [Test]
    public void UnsupportedPythonObjectIsRefused()
    {
        var p = TestData.Pt("unsupported_object.pt");
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("collections.Counter"));
    }

    [Test]
    public void WrongMagic()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("x.pt");
        File.WriteAllText(p, "definitely not torch");
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("not a PyTorch zip file"));
        File.WriteAllBytes(p, Array.Empty<byte>());
        ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
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
            var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p), $"length {len}");
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
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain("data.pkl"));
        // an .npz is a zip too: the message should say what is missing
        ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(TestData.Npy("mixed.npz")));
        Assert.That(ex!.Message, Does.Contain("data.pkl"));
    }

    [Test]
    public void StorageShorterThanTensorIsRefused()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("s.pt");
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("/data/1") ? data[..16] : data);
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("data/1").And.Contain("need 120"));
    }

    [Test]
    public void MissingStorageMemberIsRefused()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("s.pt");
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("/data/0") ? null : data);
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain("data/0").And.Contain("missing"));
    }

    [Test]
    public void CorruptPickleIsRefused()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("c.pt");
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("data.pkl") ? data[..(data.Length / 2)] : data);
        var ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("pickle"));
        Rewrite(TestData.Pt("sim_tuple.pt"), p, (name, data) => name.EndsWith("data.pkl") ? data.Select((b, i) => i == 2 ? (byte)0xff : b).ToArray() : data);
        ex = Assert.Throws<SbiDataException>(() => TorchPt.Load(p));
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
    [Test]
    public void RoundTripsThroughOurReader()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("rt.pt");
        var theta = NpyArray.FromFloat32(Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), new long[] { 5, 2 });
        var x = NpyArray.FromFloat64(Enumerable.Range(0, 15).Select(i => i / 3.0).ToArray(), new long[] { 5, 3 });
        TorchPt.Save(p, new object?[] { theta, x });
        var back = TorchPt.LoadArrays(p);
        Assert.That(back[0].AsFloat32(), Is.EqualTo(theta.AsFloat32()));
        Assert.That(back[1].Shape, Is.EqualTo(new long[] { 5, 3 }));
        Assert.That(back[1].ElementType, Is.EqualTo(NpyElementType.Float64));
        Assert.That(back[1].AsFloat64(), Is.EqualTo(x.AsFloat64()));

        TorchPt.Save(p, new List<KeyValuePair<string, NpyArray>> { new("b", NpyArray.FromBool(new[] { true, false })), new("a", NpyArray.FromInt64(new long[] { long.MinValue, 3 })) });
        var d = TorchPt.LoadArrayDict(p);
        Assert.That(d.Select(kv => kv.Key), Is.EqualTo(new[] { "b", "a" }));
        Assert.That(d[1].Value.AsInt64(), Is.EqualTo(new[] { long.MinValue, 3 }));

        var nested = new PickleDict();
        nested.Set("n", 5L);
        nested.Set("name", "gauss \u00e9");
        nested.Set("scale", 0.5);
        nested.Set("none", null);
        nested.Set("list", new List<object?> { NpyArray.FromFloat32(new[] { 3.5f }, Array.Empty<long>()), 2L });
        nested.Set("empty", NpyArray.FromFloat32(Array.Empty<float>(), new long[] { 0, 3 }));
        TorchPt.Save(p, nested);
        var o = (PickleDict)TorchPt.Load(p)!;
        Assert.That(o["n"], Is.EqualTo(5L));
        Assert.That(o["name"], Is.EqualTo("gauss \u00e9"));
        Assert.That(o["scale"], Is.EqualTo(0.5));
        Assert.That(o["none"], Is.Null);
        Assert.That(((NpyArray)((List<object?>)o["list"]!)[0]!).AsFloat32(), Is.EqualTo(new[] { 3.5f }));
        Assert.That(((NpyArray)o["empty"]!).Shape, Is.EqualTo(new long[] { 0, 3 }));
    }

    [Test]
    public void RejectsUnsupportedValues()
    {
        using var tmp = TestData.Temp();
        Assert.Throws<ArgumentException>(() => TorchPt.Save(tmp.File("a.pt"), new Uri("http://x")));
        Assert.Throws<ArgumentException>(() => TorchPt.Save(tmp.File("b.pt"), NpyArray.FromStrings(new[] { "a", "b" })));
    }

    [Test]
    public void PythonTorchLoadsWhatWeWrite()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("for_python.pt");
        var sd = new List<KeyValuePair<string, NpyArray>>
        {
            new("theta", NpyArray.FromFloat32(new float[] { 1, 2.5f, -3, 4 }, new long[] { 2, 2 })),
            new("x", NpyArray.FromFloat64(new double[] { 0, 3, 1, 4, 2, 5 }, new long[] { 3, 2 })),
            new("idx", NpyArray.FromInt64(new long[] { long.MaxValue, -1 })),
            new("mask", NpyArray.FromBool(new[] { true, false })),
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
