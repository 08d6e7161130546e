using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Sbi.Onnx.Model;

/// <summary>One array read from an .npy member: shape plus data in exactly one of the typed fields.</summary>
internal sealed class NpyData
{
    public required string Descr { get; init; }
    public required long[] Shape { get; init; }
    public float[]? F32 { get; init; }
    public double[]? F64 { get; init; }
    public long[]? I64 { get; init; }
    public string[]? Str { get; init; }

    public int Length => F32?.Length ?? F64?.Length ?? I64?.Length ?? Str!.Length;

    public float[] AsFloats() => F32 ?? F64?.Select(v => (float)v).ToArray() ?? I64?.Select(v => (float)v).ToArray()
        ?? throw new InvalidDataException($"Array of dtype {Descr} is not numeric.");

    public double[] AsDoubles() => F64 ?? F32?.Select(v => (double)v).ToArray() ?? I64?.Select(v => (double)v).ToArray()
        ?? throw new InvalidDataException($"Array of dtype {Descr} is not numeric.");

    public string AsString() => Str is { Length: 1 } s ? s[0] : throw new InvalidDataException($"Array of dtype {Descr} is not a single string.");
}

/// <summary>
/// Read-only .npz/.npy reader for the dtypes sbi model files use (float32/64, int32/64, bool, unicode).
/// Why our own: Sbi.Compat's reader is tied to TorchSharp, and production sampling must not load
/// libtorch. Fortran-ordered arrays (numpy writes transposed views that way) are re-ordered to C order.
/// </summary>
internal static class NpzReader
{
    private static readonly Regex DescrRx = new(@"'descr'\s*:\s*'([^']*)'");
    private static readonly Regex FortranRx = new(@"'fortran_order'\s*:\s*(True|False)");
    private static readonly Regex ShapeRx = new(@"'shape'\s*:\s*\(([^)]*)\)");

    /// <summary>Reads every member of an .npz archive; keys are member names without ".npy".</summary>
    public static Dictionary<string, NpyData> ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        var result = new Dictionary<string, NpyData>(StringComparer.Ordinal);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
                using var s = entry.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                result[entry.FullName[..^4]] = ReadNpy(ms.ToArray(), $"{path}:{entry.FullName}");
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("npy", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' is not a valid .npz (zip) archive: {e.Message}", e);
        }
        return result;
    }

    /// <summary>Re-orders a Fortran-ordered (first axis fastest) array to C order.</summary>
    private static NpyData ToCOrder(NpyData f)
    {
        var shape = f.Shape;
        int n = f.Length;
        var map = new int[n]; // map[cIndex] = fIndex
        var idx = new long[shape.Length];
        for (int c = 0; c < n; c++)
        {
            long fi = 0, stride = 1;
            for (int k = 0; k < shape.Length; k++) { fi += idx[k] * stride; stride *= shape[k]; }
            map[c] = (int)fi;
            for (int k = shape.Length - 1; k >= 0; k--) { if (++idx[k] < shape[k]) break; idx[k] = 0; }
        }
        T[]? R<T>(T[]? src) => src == null ? null : map.Select(i => src[i]).ToArray();
        return new NpyData { Descr = f.Descr, Shape = shape, F32 = R(f.F32), F64 = R(f.F64), I64 = R(f.I64), Str = R(f.Str) };
    }

    /// <summary>Parses one .npy byte image.</summary>
    public static NpyData ReadNpy(byte[] b, string source)
    {
        if (b.Length < 10 || b[0] != 0x93 || b[1] != (byte)'N' || b[2] != (byte)'U' || b[3] != (byte)'M' || b[4] != (byte)'P' || b[5] != (byte)'Y')
            throw new InvalidDataException($"npy: {source} lacks the NUMPY magic.");
        int major = b[6];
        int headerLen, offset;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); offset = 10; }
        else { headerLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)); offset = 12; }
        if (offset + headerLen > b.Length) throw new InvalidDataException($"npy: {source} header is truncated.");
        string header = Encoding.Latin1.GetString(b, offset, headerLen);
        offset += headerLen;
        var descr = DescrRx.Match(header);
        var fortran = FortranRx.Match(header);
        var shapeM = ShapeRx.Match(header);
        if (!descr.Success || !fortran.Success || !shapeM.Success) throw new InvalidDataException($"npy: {source} header '{header.Trim()}' is malformed.");
        long[] shape = shapeM.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(long.Parse).ToArray();
        long count = 1;
        foreach (var d in shape) count *= d;
        string dt = descr.Groups[1].Value;
        var parsed = Parse(b, offset, dt, shape, count, source);
        return fortran.Groups[1].Value == "True" ? ToCOrder(parsed) : parsed;
    }

    private static NpyData Parse(byte[] b, int offset, string dt, long[] shape, long count, string source)
    {
        var data = b.AsSpan(offset);
        int available = data.Length;

        int Need(int size)
        {
            if (available < count * size) throw new InvalidDataException($"npy: {source} holds {available} data bytes, expected {count * size}.");
            return (int)count;
        }

        switch (dt)
        {
            case "<f4":
            {
                var v = new float[Need(4)];
                for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                return new NpyData { Descr = dt, Shape = shape, F32 = v };
            }
            case "<f8":
            {
                var v = new double[Need(8)];
                for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadDoubleLittleEndian(data[(8 * i)..]);
                return new NpyData { Descr = dt, Shape = shape, F64 = v };
            }
            case "<i8":
            {
                var v = new long[Need(8)];
                for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt64LittleEndian(data[(8 * i)..]);
                return new NpyData { Descr = dt, Shape = shape, I64 = v };
            }
            case "<i4":
            {
                var v = new long[Need(4)];
                for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(4 * i)..]);
                return new NpyData { Descr = dt, Shape = shape, I64 = v };
            }
            case "|b1":
            {
                var v = new long[Need(1)];
                for (int i = 0; i < v.Length; i++) v[i] = data[i] != 0 ? 1 : 0;
                return new NpyData { Descr = dt, Shape = shape, I64 = v };
            }
            default:
                if (dt.StartsWith("<U", StringComparison.Ordinal) && int.TryParse(dt.AsSpan(2), out int chars))
                {
                    // numpy unicode: fixed-width UTF-32LE code units, NUL-padded.
                    int n = Need(4 * chars);
                    var v = new string[n];
                    for (int i = 0; i < n; i++)
                        v[i] = Encoding.UTF32.GetString(data.Slice(4 * chars * i, 4 * chars)).TrimEnd('\0');
                    return new NpyData { Descr = dt, Shape = shape, Str = v };
                }
                throw new InvalidDataException($"npy: {source} has unsupported dtype '{dt}'.");
        }
    }
}
