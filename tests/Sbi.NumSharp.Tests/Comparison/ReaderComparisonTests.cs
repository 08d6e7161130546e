using System.IO.Compression;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using NUnit.Framework;
using NumSharp;
using Sbi.Numpy;
using Sbi.Numpy.Tests;

namespace Sbi.Tests.Comparison;

/// <summary>
/// NumSharp 0.70's <c>np.load</c> beside the project's reader (<see cref="Npy"/>, <see cref="NpzFile"/>) on every
/// .npy/.npz file of tests/Sbi.Numpy.Tests/data: the numpy-written fixtures and the hostile files of
/// python/make_hostile_files.py. Each case asserts what the project's reader does (reads, or refuses with its error
/// naming the file) and records what NumSharp does: reads (values compared bit for bit with the project's reader
/// where both read), refuses (exception type and message), or misreads (returns data the file's checksum refutes,
/// asserted). The README's "From NumSharp" table is this list.
/// </summary>
public class ReaderComparisonTests
{
    public enum NumSharpDoes { Reads, Refuses, Misreads }

    /// <summary>(file under data/, our exception type or null for a read, our message fragment, NumSharp's behaviour,
    /// its exception type, its message fragment; for an .npz, NumSharp "refuses" when any member access throws).</summary>
    private static readonly object?[][] Cases =
    {
        // numpy-written fixtures
        new object?[] { "npy/f4_2x3.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f4_3d.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f4_empty_0x3.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f4_scalar.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f4_v2.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f8_4.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f8_special.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/i4_3.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/i8_2x2.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/b1_3.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/bad_bigendian.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/f4_fortran_2x3.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/i8_fortran_2x3x4.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_theta.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_x.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/u_1d.npy", null, null, NumSharpDoes.Refuses, typeof(NotSupportedException), "Unicode string dtype '<U3' is not supported" },
        new object?[] { "npy/u_scalar.npy", null, null, NumSharpDoes.Refuses, typeof(NotSupportedException), "Unicode string dtype '<U18' is not supported" },
        new object?[] { "npy/bad_float16.npy", typeof(SbiDataException), "unsupported dtype '<f2'", NumSharpDoes.Reads, null, null },
        new object?[] { "npy/bad_uint8.npy", typeof(SbiDataException), "unsupported dtype '|u1'", NumSharpDoes.Reads, null, null },
        new object?[] { "npy/bad_object.npy", typeof(SbiDataException), "object arrays (dtype '|O')", NumSharpDoes.Refuses, typeof(FormatException), "Object arrays cannot be loaded when allow_pickle=False" },
        new object?[] { "npy/bad_structured.npy", typeof(SbiDataException), "structured arrays", NumSharpDoes.Refuses, typeof(NotSupportedException), "Structured dtypes are not supported" },
        new object?[] { "npy/mixed.npz", null, null, NumSharpDoes.Refuses, typeof(NotSupportedException), "Unicode string dtype '<U23' is not supported" },
        new object?[] { "npy/mixed_compressed.npz", null, null, NumSharpDoes.Refuses, typeof(NotSupportedException), "Unicode string dtype '<U23' is not supported" },
        new object?[] { "npy/sim.npz", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_1d.npz", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_int.npz", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_missing_x.npz", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_names.npz", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "npy/sim_rows_mismatch.npz", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "pt/linear_state_dict.npz", null, null, NumSharpDoes.Reads, null, null },
        // hostile files: valid edge cases
        new object?[] { "hostile/valid_be_f4.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/valid_be_f8.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/valid_be_i4.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/valid_be_i8.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/valid_le_i8.npy", null, null, NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/legit_zeros_compressed.npz", null, null, NumSharpDoes.Reads, null, null },
        // hostile files: .npy header lies
        new object?[] { "hostile/npy_shape_larger_than_data.npy", typeof(SbiDataException), "needs 1000000000 data bytes, found 16", NumSharpDoes.Refuses, typeof(FormatException), "expected 1000000000 bytes got 16" },
        new object?[] { "hostile/npy_negative_dim.npy", typeof(SbiDataException), "tuple of non-negative ints", NumSharpDoes.Refuses, typeof(FormatException), "negative dimensions are not allowed" },
        new object?[] { "hostile/npy_shape_overflow.npy", typeof(SbiDataException), "needs more than 2^63 bytes", NumSharpDoes.Refuses, typeof(OverflowException), "Arithmetic operation resulted in an overflow" },
        new object?[] { "hostile/npy_too_many_dims.npy", typeof(ReadLimitException), "ReadLimits.MaxDimensions = 64", NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/npy_absurd_header_length.npy", typeof(ReadLimitException), "ReadLimits.MaxNpyHeaderBytes", NumSharpDoes.Refuses, typeof(FormatException), "expected 4294967280 bytes got 124" },
        new object?[] { "hostile/npy_header_length_past_end.npy", typeof(SbiDataException), "header should have 60000 bytes", NumSharpDoes.Refuses, typeof(FormatException), "expected 60000 bytes got 126" },
        new object?[] { "hostile/npy_truncated.npy", typeof(SbiDataException), "needs 32 data bytes, found 10", NumSharpDoes.Refuses, typeof(FormatException), "expected 32 bytes got 10" },
        new object?[] { "hostile/npy_header_deep_nesting.npy", typeof(SbiDataException), "nested deeper than 32 levels", NumSharpDoes.Refuses, typeof(FormatException), "Header info length (60086) is large" },
        // hostile files: .npz checksums, bombs, lies, names
        new object?[] { "hostile/npz_crc_flip_stored.npz", typeof(SbiDataException), "member 'x.npy' fails its CRC-32 check", NumSharpDoes.Misreads, null, null },
        new object?[] { "hostile/npz_crc_flip_deflated.npz", typeof(SbiDataException), "member 'noise.npy' fails its CRC-32 check", NumSharpDoes.Misreads, null, null },
        new object?[] { "hostile/npz_zip_bomb.npz", typeof(ReadLimitException), "ReadLimits.MaxExpansionRatio", NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/npz_member_longer_than_declared.npz", typeof(SbiDataException), "member 'x.npy' fails its CRC-32 check", NumSharpDoes.Refuses, typeof(FormatException), "expected 10000000 bytes got 872" },
        new object?[] { "hostile/npz_truncated.npz", typeof(SbiDataException), "not a readable .npz (zip) archive", NumSharpDoes.Refuses, typeof(InvalidDataException), "End of Central Directory record could not be found" },
        new object?[] { "hostile/npz_member_header_lie.npz", typeof(SbiDataException), "member 'x.npy': truncated .npy file", NumSharpDoes.Refuses, typeof(FormatException), "expected 4000000000 bytes got 16" },
        new object?[] { "hostile/npz_path_dotdot.npz", typeof(SbiDataException), "has a '..' segment", NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/npz_path_absolute.npz", typeof(SbiDataException), "is an absolute path", NumSharpDoes.Reads, null, null },
        new object?[] { "hostile/npz_path_backslash.npz", typeof(SbiDataException), "contains a backslash", NumSharpDoes.Reads, null, null },
    };

    private static string PathOf(string file) => Path.Combine(TestData.Dir, file);

    private static object Ours(string path) => path.EndsWith(".npz", StringComparison.Ordinal) ? NpzFile.Load(path) : Npy.Read(path);

    /// <summary>NumSharp's reading of a file, every .npz member materialised (its archive reads members on access).</summary>
    private static Dictionary<string, NDArray> Theirs(string path)
    {
        if (!path.EndsWith(".npz", StringComparison.Ordinal)) return new() { [""] = np.load_npy(path) };
        var z = np.load_npz(path);
        try
        {
            return z.Keys.ToDictionary(k => k, k => z[k]);
        }
        finally
        {
            (z as IDisposable)?.Dispose();
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void BothReadersOnTheSameFile(string file, Type? ourType, string? ourFragment, NumSharpDoes theirs, Type? theirType, string? theirFragment)
    {
        var path = PathOf(file);
        Exception? ours = null, numsharp = null;
        object? ourResult = null;
        Dictionary<string, NDArray>? theirResult = null;
        try { ourResult = Ours(path); } catch (Exception e) { ours = e; }
        try { theirResult = Theirs(path); } catch (Exception e) { numsharp = e; }
        TestContext.Out.WriteLine($"ours: {ours?.GetType().Name}: {ours?.Message}\nNumSharp: {numsharp?.GetType().Name}: {numsharp?.Message}");

        if (ourType is null) Assert.That(ours, Is.Null, "the project's reader reads it");
        else
        {
            Assert.That(ours, Is.TypeOf(ourType));
            Assert.That(ours!.Message, Does.StartWith(path + ":").And.Contain(ourFragment), "the project's error names the file first");
        }

        switch (theirs)
        {
            case NumSharpDoes.Refuses:
                Assert.That(numsharp, Is.TypeOf(theirType!));
                Assert.That(numsharp!.Message, Does.Contain(theirFragment));
                Assert.That(numsharp.Message, Does.Not.Contain(path), "NumSharp's message does not name the file");
                break;
            case NumSharpDoes.Reads:
                Assert.That(numsharp, Is.Null, "NumSharp reads it");
                if (ourResult is not null) SameValues(ourResult, theirResult!, file);
                break;
            case NumSharpDoes.Misreads:
                Assert.That(numsharp, Is.Null, "NumSharp returns data");
                ChecksumRefutes(path, theirResult!);
                break;
        }
        foreach (var a in theirResult?.Values ?? Enumerable.Empty<NDArray>()) a.Dispose();
    }

    [Test]
    public void EveryFileHasACase()
    {
        var files = Directory.GetFiles(TestData.Dir, "*.np?", SearchOption.AllDirectories)
                             .Select(f => Path.GetRelativePath(TestData.Dir, f).Replace('\\', '/')).ToHashSet();
        Assert.That(files, Is.EquivalentTo(Cases.Select(c => (string)c[0]!)));
    }

    [Test]
    public void NumSharpKeepsFortranOrderWhereTheProjectsReaderReordersToC()
    {
        using var theirs = np.load_npy(PathOf("npy/f4_fortran_2x3.npy"));
        var ours = Npy.Read(PathOf("npy/f4_fortran_2x3.npy"));
        Assert.That(ours.FortranOrder, "the header says Fortran order");
        Assert.That(theirs.Shape.IsFContiguous && !theirs.Shape.IsContiguous, "NumSharp keeps the file's layout (a bridge without a copy)");
        Assert.That(theirs.flatten('C').ToArray<float>(), Is.EqualTo(ours.AsFloat32()), "the same logical values");
    }

    [Test]
    public void EveryTruncationOfAValidFileIsRefusedByBoth([Values("npy/f4_2x3.npy", "npy/sim.npz")] string file)
    {
        var bytes = File.ReadAllBytes(PathOf(file));
        using var dir = TestData.Temp();
        var misread = new List<int>();
        for (int n = 0; n < bytes.Length; n++)
        {
            var path = dir.File($"cut{n}{Path.GetExtension(file)}");
            File.WriteAllBytes(path, bytes[..n]);
            Assert.That(() => Ours(path), Throws.InstanceOf<SbiDataException>(), $"ours, first {n} bytes");
            try
            {
                foreach (var a in Theirs(path).Values) a.Dispose();
                misread.Add(n);
            }
            catch (Exception) { }
        }
        Assert.That(misread, Is.Empty, "NumSharp refuses every cut too (lengths it read are listed)");
    }

    // ------------------------------------------------------------------ helpers

    private static void SameValues(object ours, Dictionary<string, NDArray> theirs, string file)
    {
        var arrays = ours is NpzFile z ? z.ToDictionary(kv => kv.Key.EndsWith(".npy") ? kv.Key[..^4] : kv.Key, kv => kv.Value)
                                       : new Dictionary<string, NpyArray> { [""] = (NpyArray)ours };
        Assert.That(theirs.Keys, Is.EquivalentTo(arrays.Keys), $"{file}: the same members");
        foreach (var (key, a) in arrays)
        {
            var b = theirs[key];
            Assert.That(b.shape.Select(d => (long)d), Is.EqualTo(a.Shape), $"{file} {key}: shape");
            Assert.That(CBytes(b), Is.EqualTo(a.RawBytes.ToArray()), $"{file} {key}: the same bytes in C order");
        }
    }

    /// <summary>An array's elements in C order as little-endian bytes (the project reader's <see cref="NpyArray.RawBytes"/> form).</summary>
    private static byte[] CBytes(NDArray a)
    {
        using var c = a.flatten('C');
        return a.typecode switch
        {
            NPTypeCode.Single => MemoryMarshal.AsBytes(c.ToArray<float>().AsSpan()).ToArray(),
            NPTypeCode.Double => MemoryMarshal.AsBytes(c.ToArray<double>().AsSpan()).ToArray(),
            NPTypeCode.Int32 => MemoryMarshal.AsBytes(c.ToArray<int>().AsSpan()).ToArray(),
            NPTypeCode.Int64 => MemoryMarshal.AsBytes(c.ToArray<long>().AsSpan()).ToArray(),
            NPTypeCode.Boolean => MemoryMarshal.AsBytes(c.ToArray<bool>().AsSpan()).ToArray(),
            _ => throw new AssertionException($"no byte form for {a.typecode} here"),
        };
    }

    /// <summary>
    /// NumSharp's array holds exactly the data bytes of an archive member whose stored CRC-32 the member's bytes fail:
    /// it returned data the file itself marks as corrupt, without a word.
    /// </summary>
    private static void ChecksumRefutes(string path, Dictionary<string, NDArray> theirs)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.Entries.Single();
        byte[] member;
        using (var s = entry.Open())
        using (var m = new MemoryStream())
        {
            s.CopyTo(m);
            member = m.ToArray();
        }
        Assert.That(Crc32.HashToUInt32(member), Is.Not.EqualTo(entry.Crc32), "the member's bytes fail the CRC-32 the archive stores");
        var data = CBytes(theirs.Values.Single());
        Assert.That(member[^data.Length..], Is.EqualTo(data), "NumSharp returned those bytes as the array");
    }
}
