using NUnit.Framework;

namespace Sbi.Numpy.Tests;

public class NpyTests
{
    [Test]
    public void ReadsFloat32Matrix()
    {
        var a = Npy.Read(TestData.Npy("f4_2x3.npy"));
        Assert.That(a.DType, Is.EqualTo("<f4"));
        Assert.That(a.ElementType, Is.EqualTo(NpyElementType.Float32));
        Assert.That(a.Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(a.FortranOrder, Is.False);
        Assert.That(a.AsFloat32(), Is.EqualTo(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }));
    }

    [Test]
    public void ReadsFloat64Exactly()
    {
        var a = Npy.Read(TestData.Npy("f8_4.npy"));
        Assert.That(a.DType, Is.EqualTo("<f8"));
        Assert.That(a.Shape, Is.EqualTo(new long[] { 4 }));
        Assert.That(a.AsFloat64(), Is.EqualTo(new[] { 0.1, -2.5, 1e300, Math.PI }));
        Assert.That(a.AsFloat32()[0], Is.EqualTo(0.1f));
    }

    [Test]
    public void ReadsFloat64SpecialValues()
    {
        var v = Npy.Read(TestData.Npy("f8_special.npy")).AsFloat64();
        Assert.That(double.IsNaN(v[0]));
        Assert.That(v[1], Is.EqualTo(double.PositiveInfinity));
        Assert.That(v[2], Is.EqualTo(double.NegativeInfinity));
        Assert.That(BitConverter.DoubleToInt64Bits(v[3]), Is.EqualTo(BitConverter.DoubleToInt64Bits(-0.0)));
    }

    [Test]
    public void ReadsInt64Extremes()
    {
        var a = Npy.Read(TestData.Npy("i8_2x2.npy"));
        Assert.That(a.DType, Is.EqualTo("<i8"));
        Assert.That(a.Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(a.AsInt64(), Is.EqualTo(new[] { long.MinValue, 0, 42, long.MaxValue }));
        Assert.Throws<OverflowException>(() => a.AsInt32());
    }

    [Test]
    public void ReadsInt32AndBool()
    {
        var i = Npy.Read(TestData.Npy("i4_3.npy"));
        Assert.That(i.DType, Is.EqualTo("<i4"));
        Assert.That(i.AsInt32(), Is.EqualTo(new[] { -1, 0, int.MaxValue }));
        Assert.That(i.AsInt64(), Is.EqualTo(new long[] { -1, 0, int.MaxValue }));
        var b = Npy.Read(TestData.Npy("b1_3.npy"));
        Assert.That(b.DType, Is.EqualTo("|b1"));
        Assert.That(b.AsBool(), Is.EqualTo(new[] { true, false, true }));
        Assert.That(b.AsFloat32(), Is.EqualTo(new[] { 1f, 0f, 1f }));
    }

    [Test]
    public void ReadsZeroDimensionalScalarAndEmptyAndThreeD()
    {
        var s = Npy.Read(TestData.Npy("f4_scalar.npy"));
        Assert.That(s.Shape, Is.Empty);
        Assert.That(s.Count, Is.EqualTo(1));
        Assert.That(s.AsFloat32(), Is.EqualTo(new[] { 3.5f }));
        var e = Npy.Read(TestData.Npy("f4_empty_0x3.npy"));
        Assert.That(e.Shape, Is.EqualTo(new long[] { 0, 3 }));
        Assert.That(e.AsFloat32(), Is.Empty);
        var t = Npy.Read(TestData.Npy("f4_3d.npy"));
        Assert.That(t.Shape, Is.EqualTo(new long[] { 2, 3, 4 }));
        Assert.That(t.AsFloat32()[23], Is.EqualTo(23f));
    }

    [Test]
    public void ReadsUnicodeScalarWithNonBmpCharacter()
    {
        var a = Npy.Read(TestData.Npy("u_scalar.npy"));
        Assert.That(a.DType, Is.EqualTo("<U18"));
        Assert.That(a.Shape, Is.Empty);
        Assert.That(a.AsString(), Is.EqualTo("h\u00e9llo \u2713 \U0001D703 {\"a\": 1}"));
        Assert.Throws<InvalidOperationException>(() => a.AsFloat32());
    }

    [Test]
    public void ReadsUnicodeVector()
    {
        var a = Npy.Read(TestData.Npy("u_1d.npy"));
        Assert.That(a.DType, Is.EqualTo("<U3"));
        Assert.That(a.AsStrings(), Is.EqualTo(new[] { "a", "bcd", "" }));
        Assert.Throws<InvalidOperationException>(() => a.AsString());
    }

    [Test]
    public void ReadsFortranOrderAsCOrder()
    {
        var a = Npy.Read(TestData.Npy("f4_fortran_2x3.npy"));
        Assert.That(a.FortranOrder, Is.True);
        Assert.That(a.Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(a.AsFloat32(), Is.EqualTo(new[] { 0f, 1f, 2f, 3f, 4f, 5f }));
        var b = Npy.Read(TestData.Npy("i8_fortran_2x3x4.npy"));
        Assert.That(b.FortranOrder, Is.True);
        Assert.That(b.Shape, Is.EqualTo(new long[] { 2, 3, 4 }));
        Assert.That(b.AsInt64(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => (long)i).ToArray()));
    }

    [Test]
    public void ReadsFormatVersion2()
    {
        var a = Npy.Read(TestData.Npy("f4_v2.npy"));
        Assert.That(a.AsFloat32(), Is.EqualTo(new[] { 1.5f, 2.5f }));
    }

    [Test]
    public void FloatArraysRefuseIntegerConversion()
    {
        var a = Npy.Read(TestData.Npy("f4_2x3.npy"));
        var ex = Assert.Throws<InvalidOperationException>(() => a.AsInt64());
        Assert.That(ex!.Message, Does.Contain("<f4"));
    }

    [Test]
    public void BigEndianFloat32IsByteSwappedOnReading()
    {
        // written by numpy as np.array([1.0, 2.0], dtype=">f4") (the file name predates big-endian support)
        var a = Npy.Read(TestData.Npy("bad_bigendian.npy"));
        Assert.That(a.DType, Is.EqualTo("<f4"));
        Assert.That(a.AsFloat32(), Is.EqualTo(new[] { 1f, 2f }));
    }

    // ------------------------------------------------------------------ bad input

    [TestCase("bad_object.npy", "object arrays")]
    [TestCase("bad_uint8.npy", "unsupported dtype '|u1'")]
    [TestCase("bad_float16.npy", "unsupported dtype '<f2'")]
    [TestCase("bad_structured.npy", "structured")]
    public void RefusesUnsupportedArraysNamingTheFile(string file, string expected)
    {
        var path = TestData.Npy(file);
        var ex = Assert.Throws<SbiDataException>(() => Npy.Read(path));
        Assert.That(ex!.Message, Does.Contain(expected));
        Assert.That(ex.Message, Does.Contain(path));
    }

    [Test]
    public void MissingFileThrowsFileNotFound()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => Npy.Read("/nonexistent/dir/a.npy"));
        Assert.That(ex!.Message, Does.Contain("/nonexistent/dir/a.npy"));
    }

    [Test]
    public void WrongMagicIsReported()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("not.npy");
        File.WriteAllText(p, "hello world, not numpy");
        var ex = Assert.Throws<SbiDataException>(() => Npy.Read(p));
        Assert.That(ex!.Message, Does.Contain("magic").And.Contain(p));
        File.WriteAllBytes(p, Array.Empty<byte>());
        ex = Assert.Throws<SbiDataException>(() => Npy.Read(p));
        Assert.That(ex!.Message, Does.Contain("empty file"));
    }

    [Test]
    public void TruncatedDataIsReportedWithExpectedAndActualSize()
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Npy("f4_2x3.npy"));
        var p = tmp.File("trunc.npy");
        File.WriteAllBytes(p, bytes[..^5]);
        var ex = Assert.Throws<SbiDataException>(() => Npy.Read(p));
        Assert.That(ex!.Message, Does.Contain("truncated").And.Contain("needs 24 data bytes, found 19").And.Contain(p));
    }

    [Test]
    public void TruncatedHeaderIsReported()
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Npy("f4_2x3.npy"));
        var p = tmp.File("trunc.npy");
        foreach (int len in new[] { 7, 9, 40 })
        {
            File.WriteAllBytes(p, bytes[..len]);
            var ex = Assert.Throws<SbiDataException>(() => Npy.Read(p));
            Assert.That(ex!.Message, Does.Contain("truncated"), $"length {len}");
        }
    }

    [Test]
    public void MalformedHeaderIsReported()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("bad.npy");
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, oops), }\n";
        var b = new List<byte>(Npy.Magic.ToArray()) { 1, 0, (byte)header.Length, 0 };
        b.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        File.WriteAllBytes(p, b.ToArray());
        var ex = Assert.Throws<SbiDataException>(() => Npy.Read(p));
        Assert.That(ex!.Message, Does.Contain("malformed .npy header"));
    }

    [Test]
    public void UnsupportedVersionIsReported()
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Npy("f4_2x3.npy"));
        bytes[6] = 9;
        var p = tmp.File("v9.npy");
        File.WriteAllBytes(p, bytes);
        var ex = Assert.Throws<SbiDataException>(() => Npy.Read(p));
        Assert.That(ex!.Message, Does.Contain("version 9.0"));
    }

    // ------------------------------------------------------------------ writing

    [Test]
    public void WriteReadRoundTripsEveryDType()
    {
        using var tmp = TestData.Temp();
        var cases = new[]
        {
            NpyArray.FromFloat32(new[] { 1f, -2f, float.NaN, 4f, 5f, 6f }, new long[] { 3, 2 }),
            NpyArray.FromFloat64(new[] { 0.1, 1e-300 }),
            NpyArray.FromInt64(new[] { long.MinValue, 7L }, new long[] { 2, 1 }),
            NpyArray.FromInt32(new[] { 3 }, Array.Empty<long>()),
            NpyArray.FromBool(new[] { true, false }),
            NpyArray.FromString("{\"x\": \"\U0001D703\"}"),
            NpyArray.FromStrings(new[] { "ab", "", "c" }),
            NpyArray.FromFloat32(Array.Empty<float>(), new long[] { 0, 4 }),
        };
        for (int i = 0; i < cases.Length; i++)
        {
            var p = tmp.File($"{i}.npy");
            Npy.Write(p, cases[i]);
            Assert.That(new FileInfo(p).Length % 64, Is.EqualTo(cases[i].RawBytes.Length % 64), "data starts at a multiple of 64");
            var back = Npy.Read(p);
            Assert.That(back.DType, Is.EqualTo(cases[i].DType));
            Assert.That(back.Shape, Is.EqualTo(cases[i].Shape));
            Assert.That(back.RawBytes.ToArray(), Is.EqualTo(cases[i].RawBytes.ToArray()));
        }
    }

    [Test]
    public void WritesBytesIdenticalToNumpy()
    {
        // numpy 1.24's np.save output for the same array, byte for byte.
        using var tmp = TestData.Temp();
        var p = tmp.File("w.npy");
        Npy.Write(p, new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }, new long[] { 2, 3 });
        Assert.That(File.ReadAllBytes(p), Is.EqualTo(File.ReadAllBytes(TestData.Npy("f4_2x3.npy"))));
        Npy.Write(p, new long[] { long.MinValue, 0, 42, long.MaxValue }, new long[] { 2, 2 });
        Assert.That(File.ReadAllBytes(p), Is.EqualTo(File.ReadAllBytes(TestData.Npy("i8_2x2.npy"))));
        Npy.Write(p, NpyArray.FromString("h\u00e9llo \u2713 \U0001D703 {\"a\": 1}"));
        Assert.That(File.ReadAllBytes(p), Is.EqualTo(File.ReadAllBytes(TestData.Npy("u_scalar.npy"))));
        Npy.Write(p, NpyArray.FromBool(new[] { true, false, true }));
        Assert.That(File.ReadAllBytes(p), Is.EqualTo(File.ReadAllBytes(TestData.Npy("b1_3.npy"))));
    }

    [Test]
    public void WriteRejectsShapeMismatch()
    {
        using var tmp = TestData.Temp();
        var ex = Assert.Throws<ArgumentException>(() => Npy.Write(tmp.File("x.npy"), new[] { 1f, 2f, 3f }, new long[] { 2, 2 }));
        Assert.That(ex!.Message, Does.Contain("4 elements but data has 3"));
    }
}
