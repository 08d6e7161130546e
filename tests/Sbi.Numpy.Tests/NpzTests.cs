using System.IO.Compression;
using System.Text.Json;
using NUnit.Framework;

namespace Sbi.Numpy.Tests;

public class NpzTests
{
    private const string DegreesKey = "sd/net._transform._transforms.1.autoregressive_net.initial_layer.degrees";

    [TestCase("mixed.npz")]
    [TestCase("mixed_compressed.npz")]
    public void ReadsSavezAndSavezCompressed(string file)
    {
        var z = NpzFile.Load(TestData.Npy(file));
        Assert.That(z.Keys, Is.EqualTo(new[] { "theta", "x", DegreesKey, "config_json", "flag" }));
        Assert.That(z.Count, Is.EqualTo(5));
        Assert.That(z["theta"].AsFloat32(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
        Assert.That(z["theta"].Shape, Is.EqualTo(new long[] { 3, 2 }));
        Assert.That(z["x"].DType, Is.EqualTo("<f8"));
        Assert.That(z["x"].AsFloat64(), Is.EqualTo(new[] { 0.25, -0.5, 1e-3, 7, 8, 9, -1, -2, -3 }));
        Assert.That(z[DegreesKey].AsInt64(), Is.EqualTo(new long[] { 1, 2, 3, 1 }));
        Assert.That(z.String("config_json"), Is.EqualTo("{\"D\": 2, \"name\": \"maf\"}"));
        Assert.That(z["flag"].AsBool(), Is.EqualTo(new[] { true }));
        Assert.That(z.OtherMembers, Is.Empty);
    }

    [Test]
    public void ReadsSbiParityFixture()
    {
        var z = NpzFile.Load(TestData.Fixture("maf_D5.npz"));
        // 112 arrays as sbi wrote them plus the 3 float64 companions (f64/log_prob, f64/samples, f64/samples_log_prob).
        Assert.That(z.Count, Is.EqualTo(115));
        Assert.That(z.Keys.Count(k => k.StartsWith("f64/", StringComparison.Ordinal)), Is.EqualTo(3));
        Assert.That(z.Keys.First(), Is.EqualTo("sd/net._transform._transforms.0._shift"));
        var theta = z["theta"];
        Assert.That(theta.DType, Is.EqualTo("<f4"));
        Assert.That(theta.Shape, Is.EqualTo(new long[] { 1000, 5 }));
        var th = theta.AsFloat32();
        Assert.That(th[0], Is.EqualTo(-1.1004922f));
        Assert.That(th[1], Is.EqualTo(1.0979006f));
        Assert.That(th[4999], Is.EqualTo(1.7916625f));
        var deg = z["sd/net._transform._transforms.1.autoregressive_net.initial_layer.degrees"];
        Assert.That(deg.DType, Is.EqualTo("<i8"));
        Assert.That(deg.Shape, Is.EqualTo(new long[] { 50 }));
        var w = z["sd/net._transform._transforms.1.autoregressive_net.initial_layer.weight"];
        Assert.That(w.Shape, Is.EqualTo(new long[] { 50, 5 }));
        // stored in Fortran order by the fixture generator
        var lp = z["samples_log_prob"];
        Assert.That(lp.FortranOrder, Is.True);
        Assert.That(lp.Shape, Is.EqualTo(new long[] { 4, 256 }));
        var lpv = lp.AsFloat32();
        Assert.That(lpv[0], Is.EqualTo(-10.827782f));
        Assert.That(lpv[1 * 256 + 7], Is.EqualTo(-8.411417f));
        Assert.That(lpv[3 * 256 + 255], Is.EqualTo(-9.914326f));
        var cfg = z["config_json"];
        Assert.That(cfg.DType, Is.EqualTo("<U7459"));
        Assert.That(cfg.Shape, Is.Empty);
        using var doc = JsonDocument.Parse(cfg.AsString());
        Assert.That(doc.RootElement.GetProperty("D").GetInt32(), Is.EqualTo(5));
        Assert.That(doc.RootElement.GetProperty("C").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public void ReadsEveryParityFixture()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures"), "*.npz");
        Assert.That(files, Is.Not.Empty);
        foreach (var f in files)
        {
            var z = NpzFile.Load(f);
            Assert.That(z.Count, Is.GreaterThan(0), f);
            foreach (var (k, a) in z)
                if (a.IsNumeric)
                    Assert.That(a.RawBytes.Length, Is.EqualTo(a.Count * a.ItemSize), $"{f}:{k}");
        }
    }

    [Test]
    public void MissingKeyNamesFileAndKeys()
    {
        var path = TestData.Npy("mixed.npz");
        var z = NpzFile.Load(path);
        var ex = Assert.Throws<KeyNotFoundException>(() => _ = z["nope"]);
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("'nope'").And.Contain("'theta'"));
        Assert.That(z.TryGetValue("nope", out _), Is.False);
        Assert.That(z.ContainsKey("x"));
    }

    [Test]
    public void MissingFile()
    {
        Assert.Throws<FileNotFoundException>(() => NpzFile.Load("/nonexistent/a.npz"));
    }

    [Test]
    public void NotAZipFile()
    {
        var p = TestData.Npy("f4_2x3.npy");
        var ex = Assert.Throws<SbiDataException>(() => NpzFile.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("not a readable .npz"));
    }

    [TestCase("mixed.npz")]
    [TestCase("mixed_compressed.npz")]
    public void TruncatedArchive(string file)
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Npy(file));
        var p = tmp.File("t.npz");
        File.WriteAllBytes(p, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<SbiDataException>(() => NpzFile.Load(p));
        Assert.That(ex!.Message, Does.Contain(p));
    }

    [Test]
    public void CorruptCompressedMember()
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Npy("mixed_compressed.npz"));
        // Flip bytes in the middle of the first member's deflate data (local header is 30 + name + extra).
        for (int i = 60; i < 80; i++) bytes[i] ^= 0x5A;
        var p = tmp.File("c.npz");
        File.WriteAllBytes(p, bytes);
        var ex = Assert.Throws<SbiDataException>(() => NpzFile.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("theta.npy"));
    }

    [Test]
    public void BadMemberNamesArchiveAndMember()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("b.npz");
        using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(TestData.Npy("f4_2x3.npy"), "good.npy");
            zip.CreateEntryFromFile(TestData.Npy("bad_object.npy"), "sd/obj.npy");
        }
        var ex = Assert.Throws<SbiDataException>(() => NpzFile.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("member 'sd/obj.npy'").And.Contain("object arrays"));
    }

    [Test]
    public void NonNpyMembersAreListedNotLoaded()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("o.npz");
        using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(TestData.Npy("f4_2x3.npy"), "a.npy");
            using var w = new StreamWriter(zip.CreateEntry("README.txt").Open());
            w.Write("hi");
        }
        var z = NpzFile.Load(p);
        Assert.That(z.Keys, Is.EqualTo(new[] { "a" }));
        Assert.That(z.OtherMembers, Is.EqualTo(new[] { "README.txt" }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WriteRoundTripKeepsOrderAndNames(bool compressed)
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("w.npz");
        var entries = new List<KeyValuePair<string, NpyArray>>
        {
            new("z_last_alphabetically", NpyArray.FromFloat32(new[] { 1f, 2f })),
            new(DegreesKey, NpyArray.FromInt64(new long[] { 3, 1, 2 })),
            new("config_json", NpyArray.FromString("{}")),
        };
        Npz.Write(p, entries, compressed);
        using (var zip = ZipFile.OpenRead(p))
        {
            Assert.That(zip.Entries.Select(e => e.FullName), Is.EqualTo(entries.Select(e => e.Key + ".npy")));
        }
        var z = Npz.Load(p);
        Assert.That(z.Keys, Is.EqualTo(entries.Select(e => e.Key)));
        Assert.That(z[DegreesKey].AsInt64(), Is.EqualTo(new long[] { 3, 1, 2 }));
        Assert.That(z.String("config_json"), Is.EqualTo("{}"));
        if (!compressed) Assert.That(new FileInfo(p).Length, Is.LessThan(1000));
    }

    [Test]
    public void WriteArraysAndRejectDuplicates()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("t.npz");
        Npz.Write(p, new Dictionary<string, NpyArray> { ["a"] = NpyArray.FromFloat32(new float[6], new long[] { 2, 3 }), ["b"] = NpyArray.FromInt64(new long[] { 0, 1, 2, 3 }) }, compressed: true);
        var z = Npz.Load(p);
        Assert.That(z["a"].Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(z["b"].AsInt64(), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
        var dup = new[] { new KeyValuePair<string, NpyArray>("a", z["a"]), new KeyValuePair<string, NpyArray>("a", z["b"]) };
        Assert.Throws<ArgumentException>(() => Npz.Write(p, dup));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void NumpyReadsWhatWeWrite(bool compressed)
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("np.npz");
        Npz.Write(p, new List<KeyValuePair<string, NpyArray>>
        {
            new("theta", NpyArray.FromFloat32(new[] { 1f, 2.5f, -3f, 4f }, new long[] { 2, 2 })),
            new(DegreesKey, NpyArray.FromInt64(new long[] { 1, 2 })),
            new("mask", NpyArray.FromBool(new[] { true, false })),
            new("config_json", NpyArray.FromString("{\"D\": \"\u00e9\U0001D703\"}")),
        }, compressed);
        var o = PythonProcess.RunNumpy(
            "z = np.load(sys.argv[1])\n" +
            "print(list(z.keys()))\n" +
            "print(z['theta'].dtype.str, z['theta'].shape, z['theta'].tolist())\n" +
            "print(z['" + DegreesKey + "'].dtype.str, z['" + DegreesKey + "'].tolist())\n" +
            "print(z['mask'].dtype.str, z['mask'].tolist())\n" +
            "print(z['config_json'].dtype.str, z['config_json'].shape, ascii(str(z['config_json'])))\n" +
            "import zipfile\nprint(sorted(set(i.compress_type for i in zipfile.ZipFile(sys.argv[1]).infolist())))\n", p);
        Assert.That(o.Split('\n'), Is.EqualTo(new[]
        {
            "['theta', '" + DegreesKey + "', 'mask', 'config_json']",
            "<f4 (2, 2) [[1.0, 2.5], [-3.0, 4.0]]",
            "<i8 [1, 2]",
            "|b1 [True, False]",
            "<U11 () '{\"D\": \"\\xe9\\U0001d703\"}'",
            compressed ? "[8]" : "[0]",
        }));
    }
}
