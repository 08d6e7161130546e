using NUnit.Framework;
using Sbi.Numpy.Pickle;

namespace Sbi.Numpy.Tests;

/// <summary>
/// The files of data/hostile (written by python/make_hostile_files.py): each gives its documented error, of the
/// documented type and naming the file, within <see cref="Bounded"/>'s time and memory; the valid ones read
/// correctly. See src/Sbi.Numpy/README.md "Untrusted files" for what is checked.
/// </summary>
public class HostileFileTests
{
    private static string Hostile(string name) => Path.Combine(TestData.Dir, "hostile", name);

    private static object? Read(string path) => Path.GetExtension(path) switch
    {
        ".npy" => Npy.Read(path),
        ".npz" => NpzFile.Load(path),
        ".pt" => TorchPt.Load(path),
        _ => throw new ArgumentException(path),
    };

    /// <summary>(file, expected exception type, message fragment).</summary>
    private static readonly object[][] Cases =
    {
        // .npy header lies
        new object[] { "npy_shape_larger_than_data.npy", typeof(SbiDataException), "needs 1000000000 data bytes, found 16" },
        new object[] { "npy_negative_dim.npy", typeof(SbiDataException), "tuple of non-negative ints" },
        new object[] { "npy_shape_overflow.npy", typeof(SbiDataException), "needs more than 2^63 bytes" },
        new object[] { "npy_too_many_dims.npy", typeof(ReadLimitException), "ReadLimits.MaxDimensions = 64" },
        new object[] { "npy_absurd_header_length.npy", typeof(ReadLimitException), "ReadLimits.MaxNpyHeaderBytes" },
        new object[] { "npy_header_length_past_end.npy", typeof(SbiDataException), "header should have 60000 bytes" },
        new object[] { "npy_truncated.npy", typeof(SbiDataException), "needs 32 data bytes, found 10" },
        new object[] { "npy_header_deep_nesting.npy", typeof(SbiDataException), "literals nested deeper than 32 levels" },
        // .npz: checksums, bombs, lies, names
        new object[] { "npz_crc_flip_stored.npz", typeof(SbiDataException), "member 'x.npy' fails its CRC-32 check: stored 0x" },
        new object[] { "npz_crc_flip_deflated.npz", typeof(SbiDataException), "member 'noise.npy' fails its CRC-32 check: stored 0x" },
        new object[] { "npz_zip_bomb.npz", typeof(ReadLimitException), "ReadLimits.MaxExpansionRatio" },
        // System.IO.Compression stops inflating at the declared size; the CRC of the 1000 bytes read is then wrong
        new object[] { "npz_member_longer_than_declared.npz", typeof(SbiDataException), "member 'x.npy' fails its CRC-32 check" },
        new object[] { "npz_truncated.npz", typeof(SbiDataException), "not a readable .npz (zip) archive" },
        new object[] { "npz_member_header_lie.npz", typeof(SbiDataException), "member 'x.npy': truncated .npy file" },
        new object[] { "npz_path_dotdot.npz", typeof(SbiDataException), "'../../evil.npy' has a '..' segment" },
        new object[] { "npz_path_absolute.npz", typeof(SbiDataException), "'/tmp/evil.npy' is an absolute path" },
        new object[] { "npz_path_backslash.npz", typeof(SbiDataException), "contains a backslash" },
        // .pt: checksums
        new object[] { "pt_crc_flip_storage.pt", typeof(SbiDataException), "member 'archive/data/0' fails its CRC-32 check" },
        new object[] { "pt_crc_flip_pickle.pt", typeof(SbiDataException), "member 'archive/data.pkl' fails its CRC-32 check" },
        // pickle structure
        new object[] { "pt_deep_tuples.pt", typeof(ReadLimitException), "ReadLimits.MaxNestingDepth = 100" },
        new object[] { "pt_deep_lists.pt", typeof(ReadLimitException), "ReadLimits.MaxNestingDepth = 100" },
        new object[] { "pt_shared_reference_bomb.pt", typeof(ReadLimitException), "shared references counted each time" },
        new object[] { "pt_call_amplification.pt", typeof(ReadLimitException), "the number of values the pickle builds" },
        new object[] { "pt_reference_cycle.pt", typeof(SbiDataException), "contains itself (a reference cycle)" },
        new object[] { "pt_long_decimal_int.pt", typeof(ReadLimitException), "ReadLimits.MaxIntegerDigits = 4300" },
        new object[] { "pt_long4_int.pt", typeof(ReadLimitException), "ReadLimits.MaxIntegerDigits = 4300" },
        new object[] { "pt_string_length_lie.pt", typeof(SbiDataException), "pickle data ends early" },
        new object[] { "pt_pickle_zip_bomb.pt", typeof(ReadLimitException), "member 'archive/data.pkl'" },
        new object[] { "pt_bad_memo_key.pt", typeof(SbiDataException), "bad memo key 'not-a-number'" },
        new object[] { "pt_bad_code_point.pt", typeof(SbiDataException), "invalid code point" },
        new object[] { "pt_nested_rebuild_from_type.pt", typeof(SbiDataException), "malformed _rebuild_from_type_v2 call" },
        // tensors against their storages
        new object[] { "pt_stride_past_storage.pt", typeof(SbiDataException), "past the end of its storage of 6 elements" },
        new object[] { "pt_size_past_storage.pt", typeof(SbiDataException), "past the end of its storage of 6 elements" },
        new object[] { "pt_offset_past_storage.pt", typeof(SbiDataException), "past the end of its storage of 6 elements" },
        new object[] { "pt_negative_stride.pt", typeof(SbiDataException), "negative size, stride or offset" },
        new object[] { "pt_extent_overflow.pt", typeof(SbiDataException), "reaches past 2^63 elements" },
        new object[] { "pt_storage_numel_lie.pt", typeof(SbiDataException), "has 24 bytes; 1000000000000 elements of FloatStorage need 4000000000000" },
        new object[] { "pt_too_many_dims.pt", typeof(ReadLimitException), "ReadLimits.MaxDimensions = 64" },
        new object[] { "pt_stride0_huge.pt", typeof(ReadLimitException), "ReadLimits.MaxExpansionRatio" },
        new object[] { "pt_stride0_many_dims.pt", typeof(ReadLimitException), "ReadLimits.MaxExpansionRatio" },
        // the zip container
        new object[] { "pt_truncated.pt", typeof(SbiDataException), "not a readable PyTorch zip file" },
        new object[] { "pt_path_dotdot.pt", typeof(SbiDataException), "has a '..' segment" },
    };

    /// <summary>Hostile files that are valid and must load (within the same budget).</summary>
    private static readonly string[] MustLoad =
    {
        "valid_be_f4.npy", "valid_be_f8.npy", "valid_be_i4.npy", "valid_be_i8.npy", "valid_le_i8.npy",
        "valid_tensor.pt", "legit_zeros_compressed.npz", "pt_hash_collisions.pt",
    };

    [TestCaseSource(nameof(Cases))]
    public void HostileFileGivesItsErrorWithinBudget(string file, Type type, string fragment)
    {
        var path = Hostile(file);
        Assert.That(new FileInfo(path).Length, Is.LessThan(1 << 20), "the issue's bound is for files under 1 MB");
        var ex = Bounded.Fails(() => Read(path), file);
        Assert.That(ex, Is.Not.Null, $"{file} was read without an error");
        Assert.That(ex!.GetType(), Is.EqualTo(type), ex.ToString());
        Assert.That(ex.Message, Does.Contain(fragment));
        Assert.That(ex.Message, Does.StartWith(path + ":"), "the message names the file first");
        if (ex is ReadLimitException limit)
        {
            Assert.That(ex.Message, Does.Contain($"new ReadLimits {{ {limit.LimitName} = ... }}"), "the message says how to raise the limit");
            Assert.That(typeof(ReadLimits).GetProperty(limit.LimitName), Is.Not.Null, "LimitName is a ReadLimits property");
        }
    }

    [TestCaseSource(nameof(MustLoad))]
    public void ValidEdgeCaseLoadsWithinBudget(string file)
    {
        var path = Hostile(file);
        Assert.That(Bounded.Run(() => Read(path), file), Is.Not.Null);
    }

    [Test]
    public void EveryHostileFileHasACase()
    {
        var files = Directory.GetFiles(Path.Combine(TestData.Dir, "hostile")).Select(Path.GetFileName).ToHashSet();
        var covered = Cases.Select(c => (string)c[0]).Concat(MustLoad).ToHashSet();
        Assert.That(files, Is.EquivalentTo(covered), "regenerated files and test cases must match");
    }

    // ------------------------------------------------------------------ the valid files read correctly

    [Test]
    public void BigEndianAndInt64ArraysReadAsNumpyWouldGiveThem()
    {
        // the values make_hostile_files.py writes
        Assert.That(Npy.Read(Hostile("valid_be_f4.npy")).AsFloat32(), Is.EqualTo(new[] { 1.5f, -2.0f, 3.0e38f, 0f }));
        var f8 = Npy.Read(Hostile("valid_be_f8.npy"));
        Assert.That(f8.Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(f8.AsFloat64(), Is.EqualTo(new[] { 0.1, -2.5, 1e300, -0.0 }));
        Assert.That(double.IsNegative(f8.AsFloat64()[3]), "-0.0 keeps its sign through the byte swap");
        Assert.That(Npy.Read(Hostile("valid_be_i4.npy")).AsInt32(), Is.EqualTo(new[] { -1, 0, int.MaxValue, int.MinValue }));
        var i8 = new[] { long.MinValue, 0, 42, long.MaxValue };
        Assert.That(Npy.Read(Hostile("valid_be_i8.npy")).AsInt64(), Is.EqualTo(i8));
        Assert.That(Npy.Read(Hostile("valid_le_i8.npy")).AsInt64(), Is.EqualTo(i8));
        Assert.That(Npy.Read(Hostile("valid_be_i8.npy")).DType, Is.EqualTo("<i8"), "held little-endian after the swap");
    }

    [Test]
    public void CollidingIntegerKeysLoadAsADict()
    {
        var d = (PickleDict)TorchPt.Load(Hostile("pt_hash_collisions.pt"))!;
        Assert.That(d.Count, Is.EqualTo(50_000));
        long k = 7L * ((1L << 32) + 1);
        Assert.That(d.ContainsKey(k) && d[k] is null);
    }

    [Test]
    public void CompressedZerosUnderTheFloorLoad()
    {
        var a = NpzFile.Load(Hostile("legit_zeros_compressed.npz"))["zeros"];
        Assert.That(a.Shape, Is.EqualTo(new long[] { 2_000_000 }));
        Assert.That(a.AsFloat32().All(v => v == 0f));
    }

    // ------------------------------------------------------------------ limits can be raised

    [Test]
    public void RaisingTheNestingLimitReadsDeepData()
    {
        // 100,000 nested tuples: the reader and the check are iterative, so a raised limit reads them without recursion
        var o = TorchPt.Load(Hostile("pt_deep_tuples.pt"), new ReadLimits { MaxNestingDepth = 200_000 });
        int depth = 0;
        while (o is object?[] { Length: 1 } t) { o = t[0]; depth++; }
        Assert.That(depth, Is.EqualTo(100_000));
        Assert.That(o, Is.Null);
    }

    [Test]
    public void RaisingTheByteBudgetReadsTheZipBomb()
    {
        // 80 MB of zeros is legitimate for someone who trusts the file
        var a = NpzFile.Load(Hostile("npz_zip_bomb.npz"), new ReadLimits { MinByteBudget = 256L << 20 })["zeros"];
        Assert.That(a.Count, Is.EqualTo(20_000_000));
    }

    [Test]
    public void AFileJustUnderItsRatioLimitLoadsAndJustOverFails()
    {
        // An .npz load charges each member's declared size and then its array's data: for the one member here that
        // is its uncompressed length plus the array's bytes. Budgets a few bytes either side of that need decide it.
        var path = Hostile("legit_zeros_compressed.npz");
        long fileBytes = new FileInfo(path).Length;
        long declared;
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path)) declared = zip.Entries.Single().Length;
        long need = declared + NpzFile.Load(path)["zeros"].RawBytes.Length;
        Assert.That(need / (double)fileBytes, Is.GreaterThan(1000), "the file is a 1000:1 compression, far over the default ratio");

        ReadLimits WithBudget(long bytes) => new() { MinByteBudget = 1, MaxExpansionRatio = bytes / (double)fileBytes };
        Assert.That(NpzFile.Load(path, WithBudget(need + 16))["zeros"].Count, Is.EqualTo(2_000_000));
        var ex = Assert.Throws<ReadLimitException>(() => NpzFile.Load(path, WithBudget(need - 16)));
        Assert.That(ex!.LimitName, Is.EqualTo(nameof(ReadLimits.MaxExpansionRatio)));
    }

    // ------------------------------------------------------------------ streams of unknown length

    [Test]
    public void AStreamOfUnknownLengthIsBoundedByWhatItDelivers()
    {
        // no length to compare the header's 1 GB claim with: the reader must still not allocate it
        var lie = File.ReadAllBytes(Hostile("npy_shape_larger_than_data.npy"));
        var ex = Bounded.Fails(() => Npy.Read(new NonSeekable(lie), "lie"), "npy header lie through a non-seekable stream");
        Assert.That(ex, Is.TypeOf<SbiDataException>());
        Assert.That(ex!.Message, Does.Contain("lie: truncated .npy file").And.Contain("needs 1000000000 data bytes, found 16"));

        var ok = Npy.Read(new NonSeekable(File.ReadAllBytes(Hostile("valid_be_i8.npy"))), "ok");
        Assert.That(ok.AsInt64(), Is.EqualTo(Npy.Read(Hostile("valid_be_i8.npy")).AsInt64()));
        var crc = Assert.Throws<SbiDataException>(() => NpzFile.Load(new NonSeekable(File.ReadAllBytes(Hostile("npz_crc_flip_stored.npz"))), "npz"));
        Assert.That(crc!.Message, Does.StartWith("npz: member 'x.npy' fails its CRC-32 check"));
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    [Test]
    public void NonPositiveLimitsAreArgumentErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() => Npy.Read(Hostile("valid_le_i8.npy"), new ReadLimits { MaxNestingDepth = 0 }));
        Assert.That(ex!.Message, Does.Contain("MaxNestingDepth").And.Contain("positive"));
        Assert.Throws<ArgumentException>(() => TorchPt.Load(Hostile("valid_tensor.pt"), new ReadLimits { MaxExpansionRatio = double.NaN }));
    }
}
