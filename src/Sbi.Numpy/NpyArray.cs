using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Sbi.Numpy;

/// <summary>Element types of <see cref="NpyArray"/> (the numpy dtypes this library reads and writes).</summary>
public enum NpyElementType
{
    /// <summary>numpy <c>float32</c>, descr <c>&lt;f4</c>.</summary>
    Float32,
    /// <summary>numpy <c>float64</c>, descr <c>&lt;f8</c>.</summary>
    Float64,
    /// <summary>numpy <c>int32</c>, descr <c>&lt;i4</c>.</summary>
    Int32,
    /// <summary>numpy <c>int64</c>, descr <c>&lt;i8</c>.</summary>
    Int64,
    /// <summary>numpy <c>bool</c>, descr <c>|b1</c> (one byte per element, 0 or 1).</summary>
    Bool,
    /// <summary>numpy fixed-width unicode, descr <c>&lt;UN</c> (N UTF-32LE code units per element, NUL padded).</summary>
    Unicode,
}

/// <summary>
/// An n-dimensional array as stored in a numpy <c>.npy</c> file: dtype, shape and the raw little-endian,
/// C-ordered element bytes. Created by <see cref="Npy.Read(string, ReadLimits)"/>, <see cref="NpzFile.Load(string, ReadLimits)"/> or the
/// <c>From*</c> factories; written by <see cref="Npy.Write(string, NpyArray)"/>.
/// </summary>
public sealed class NpyArray
{
    private readonly byte[] _data;

    internal NpyArray(NpyElementType elementType, int itemSize, long[] shape, byte[] data, bool fortranOrder = false)
    {
        FortranOrder = fortranOrder;
        ElementType = elementType;
        ItemSize = itemSize;
        Shape = shape;
        _data = data;
        Count = Npy.CountOf(shape);
        if (Count * itemSize != data.LongLength)
            throw new ArgumentException($"data has {data.LongLength} bytes; shape ({string.Join(", ", shape)}) with item size {itemSize} needs {Count * itemSize}");
    }

    /// <summary>The element type.</summary>
    public NpyElementType ElementType { get; }

    /// <summary>numpy's dtype descriptor, e.g. <c>&lt;f4</c>, <c>&lt;i8</c>, <c>|b1</c>, <c>&lt;U7459</c>.</summary>
    public string DType => ElementType switch
    {
        NpyElementType.Float32 => "<f4",
        NpyElementType.Float64 => "<f8",
        NpyElementType.Int32 => "<i4",
        NpyElementType.Int64 => "<i8",
        NpyElementType.Bool => "|b1",
        NpyElementType.Unicode => "<U" + (ItemSize / 4),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Bytes per element (4*N for <c>&lt;UN</c>).</summary>
    public int ItemSize { get; }

    /// <summary>The shape; empty for a 0-d (scalar) array. Do not modify.</summary>
    public long[] Shape { get; }

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int NDim => Shape.Length;

    /// <summary>Whether the file stored the data in Fortran order. The data held here (and
    /// <see cref="RawBytes"/>) is always C order: Fortran-ordered data is reordered when read.
    /// Writing always uses C order.</summary>
    public bool FortranOrder { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>; 1 for a 0-d array).</summary>
    public long Count { get; }

    /// <summary>The raw element bytes, little-endian, C order.</summary>
    public ReadOnlySpan<byte> RawBytes => _data;

    /// <summary>Whether the element type is a number type (float, int or bool).</summary>
    public bool IsNumeric => ElementType != NpyElementType.Unicode;

    /// <inheritdoc />
    public override string ToString() => $"NpyArray({DType}, ({string.Join(", ", Shape)}{(Shape.Length == 1 ? "," : "")}))";

    // ----------------------------------------------------------------- element access

    /// <summary>The elements as float32. float32 data is returned exactly; float64 is rounded;
    /// ints and bools are converted. Throws <see cref="InvalidOperationException"/> for unicode arrays.</summary>
    public float[] AsFloat32()
    {
        if (ElementType == NpyElementType.Float32) return Copy<float>();
        var d = AsFloat64();
        var r = new float[d.Length];
        for (int i = 0; i < d.Length; i++) r[i] = (float)d[i];
        return r;
    }

    /// <summary>The elements as float64 (exact for every numeric dtype except int64 beyond 2^53).
    /// Throws <see cref="InvalidOperationException"/> for unicode arrays.</summary>
    public double[] AsFloat64()
    {
        switch (ElementType)
        {
            case NpyElementType.Float64: return Copy<double>();
            case NpyElementType.Float32: return Array.ConvertAll(Copy<float>(), v => (double)v);
            case NpyElementType.Int32: return Array.ConvertAll(Copy<int>(), v => (double)v);
            case NpyElementType.Int64: return Array.ConvertAll(Copy<long>(), v => (double)v);
            case NpyElementType.Bool: return Array.ConvertAll(_data, v => v != 0 ? 1.0 : 0.0);
            default: throw NotNumeric("AsFloat64");
        }
    }

    /// <summary>The elements as int64. Only int64, int32 and bool arrays convert (floats are refused rather
    /// than silently truncated).</summary>
    public long[] AsInt64() => ElementType switch
    {
        NpyElementType.Int64 => Copy<long>(),
        NpyElementType.Int32 => Array.ConvertAll(Copy<int>(), v => (long)v),
        NpyElementType.Bool => Array.ConvertAll(_data, v => v != 0 ? 1L : 0L),
        _ => throw new InvalidOperationException($"AsInt64: array has dtype {DType}; expected an integer or bool dtype (<i8, <i4, |b1)"),
    };

    /// <summary>The elements as int32. int64 values outside the int32 range throw <see cref="OverflowException"/>.</summary>
    public int[] AsInt32() => ElementType switch
    {
        NpyElementType.Int32 => Copy<int>(),
        NpyElementType.Int64 => Array.ConvertAll(Copy<long>(), v => checked((int)v)),
        NpyElementType.Bool => Array.ConvertAll(_data, v => v != 0 ? 1 : 0),
        _ => throw new InvalidOperationException($"AsInt32: array has dtype {DType}; expected an integer or bool dtype (<i4, <i8, |b1)"),
    };

    /// <summary>The elements of a bool array.</summary>
    public bool[] AsBool()
    {
        if (ElementType != NpyElementType.Bool)
            throw new InvalidOperationException($"AsBool: array has dtype {DType}; expected |b1");
        return Array.ConvertAll(_data, v => v != 0);
    }

    /// <summary>The string of a 0-d (or one-element) unicode array, e.g. sbi fixtures' <c>config_json</c>.
    /// Trailing NULs (numpy's padding) are removed.</summary>
    public string AsString()
    {
        if (ElementType != NpyElementType.Unicode)
            throw new InvalidOperationException($"AsString: array has dtype {DType}; expected a unicode dtype (<U..)");
        if (Count != 1)
            throw new InvalidOperationException($"AsString: array has shape ({string.Join(", ", Shape)}) with {Count} elements; expected a 0-d array (use AsStrings)");
        return DecodeUtf32(0);
    }

    /// <summary>All strings of a unicode array, in C order.</summary>
    public string[] AsStrings()
    {
        if (ElementType != NpyElementType.Unicode)
            throw new InvalidOperationException($"AsStrings: array has dtype {DType}; expected a unicode dtype (<U..)");
        var r = new string[Count];
        for (long i = 0; i < Count; i++) r[i] = DecodeUtf32(i);
        return r;
    }

    private string DecodeUtf32(long index)
    {
        int n = ItemSize / 4;
        var span = _data.AsSpan((int)(index * ItemSize), ItemSize);
        while (n > 0 && BinaryPrimitives.ReadUInt32LittleEndian(span.Slice((n - 1) * 4, 4)) == 0) n--;
        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++)
        {
            uint cp = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(i * 4, 4));
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                throw new SbiDataException(null, $"unicode array element {index} holds an invalid code point 0x{cp:X}");
            sb.Append(char.ConvertFromUtf32((int)cp));
        }
        return sb.ToString();
    }

    private T[] Copy<T>() where T : unmanaged
    {
        // Data is little-endian; this library only runs on little-endian machines (checked in Npy).
        return MemoryMarshal.Cast<byte, T>(_data).ToArray();
    }

    private InvalidOperationException NotNumeric(string what) =>
        new($"{what}: array has dtype {DType}; expected a numeric dtype (<f4, <f8, <i4, <i8, |b1)");

    // ----------------------------------------------------------------- factories

    /// <summary>The item size in bytes of a numeric element type (unicode arrays carry their own width).</summary>
    public static int ItemSizeOf(NpyElementType type) => type switch
    {
        NpyElementType.Float32 or NpyElementType.Int32 => 4,
        NpyElementType.Float64 or NpyElementType.Int64 => 8,
        NpyElementType.Bool => 1,
        _ => throw new ArgumentException($"{type} has no fixed item size", nameof(type)),
    };

    /// <summary>An array of a numeric element type from raw little-endian C-ordered bytes (taken, not copied).</summary>
    public static NpyArray FromBytes(NpyElementType type, long[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"shape ({string.Join(", ", shape)}) has a negative dimension", nameof(shape));
        return new NpyArray(type, ItemSizeOf(type), (long[])shape.Clone(), data);
    }

    /// <summary>A float32 array; <paramref name="shape"/> null means 1-D.</summary>
    public static NpyArray FromFloat32(float[] data, long[]? shape = null) => From(NpyElementType.Float32, data, shape);

    /// <summary>A float64 array; <paramref name="shape"/> null means 1-D.</summary>
    public static NpyArray FromFloat64(double[] data, long[]? shape = null) => From(NpyElementType.Float64, data, shape);

    /// <summary>An int64 array; <paramref name="shape"/> null means 1-D.</summary>
    public static NpyArray FromInt64(long[] data, long[]? shape = null) => From(NpyElementType.Int64, data, shape);

    /// <summary>An int32 array; <paramref name="shape"/> null means 1-D.</summary>
    public static NpyArray FromInt32(int[] data, long[]? shape = null) => From(NpyElementType.Int32, data, shape);

    /// <summary>A bool array; <paramref name="shape"/> null means 1-D.</summary>
    public static NpyArray FromBool(bool[] data, long[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = CheckShape(shape, data.Length);
        return new NpyArray(NpyElementType.Bool, 1, s, Array.ConvertAll(data, b => b ? (byte)1 : (byte)0));
    }

    /// <summary>A 0-d unicode array holding <paramref name="value"/> (as numpy's <c>np.array(str)</c>).</summary>
    public static NpyArray FromString(string value) => FromStrings(new[] { value ?? throw new ArgumentNullException(nameof(value)) }, Array.Empty<long>());

    /// <summary>A unicode array; width is the longest string's code point count (at least 1).</summary>
    public static NpyArray FromStrings(string[] values, long[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var s = CheckShape(shape, values.Length);
        var cps = values.Select(v => ToCodePoints(v ?? throw new ArgumentException("strings must not be null", nameof(values)))).ToArray();
        int width = Math.Max(1, cps.Length == 0 ? 1 : cps.Max(c => c.Length));
        var bytes = new byte[(long)values.Length * width * 4];
        for (int i = 0; i < cps.Length; i++)
            for (int j = 0; j < cps[i].Length; j++)
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((i * width + j) * 4, 4), cps[i][j]);
        return new NpyArray(NpyElementType.Unicode, width * 4, s, bytes);
    }

    private static int[] ToCodePoints(string s)
    {
        var list = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(char.ConvertToUtf32(s[i], s[i + 1]));
                i++;
            }
            else list.Add(s[i]);
        }
        return list.ToArray();
    }

    private static NpyArray From<T>(NpyElementType et, T[] data, long[]? shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = CheckShape(shape, data.Length);
        byte[] bytes = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        return new NpyArray(et, Marshal.SizeOf<T>(), s, bytes);
    }

    private static long[] CheckShape(long[]? shape, long length)
    {
        if (shape == null) return new[] { length };
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"shape ({string.Join(", ", shape)}) has a negative dimension", nameof(shape));
        long n = Npy.CountOf(shape);
        if (n != length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {n} elements but data has {length}", nameof(shape));
        return (long[])shape.Clone();
    }
}
