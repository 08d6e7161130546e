using System.Globalization;
using System.Text;

namespace Sbi.Numpy;

/// <summary>
/// Reader and writer for numpy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0).
/// </summary>
/// <remarks>
/// Written here rather than taken from NumSharp: NumSharp 0.70 only handles 2-D float arrays and does not
/// read 0-d arrays, int64, bool or unicode (<c>&lt;U..</c>) arrays, and its <c>.npz</c> reader does not
/// keep member names containing '/' (sbi state-dict keys such as
/// <c>sd/net._transform._transforms.1.autoregressive_net.initial_layer.weight</c>). The format is small
/// (magic, a Python-literal header dict, raw C-ordered bytes), so a complete reader is short.
/// Supported dtypes: float32, float64, int32, int64, bool and unicode, little- or big-endian (big-endian data is
/// byte-swapped on reading, as numpy would), in C or Fortran order (Fortran-ordered data is reordered to C order
/// on reading). Everything else is refused with <see cref="SbiDataException"/> naming the file. The header is
/// bounded (<see cref="ReadLimits"/>) and its shape is checked against the bytes the file holds before any data
/// buffer is allocated.
/// </remarks>
public static class Npy
{
    /// <summary>The 6-byte magic prefix of every <c>.npy</c> file.</summary>
    public static ReadOnlySpan<byte> Magic => new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>Reads a <c>.npy</c> file, bounded by <paramref name="limits"/> (null: <see cref="ReadLimits.Default"/>).</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="SbiDataException">the file is not a supported <c>.npy</c> array, is truncated, or its header
    /// lies about its size (the message names the file); <see cref="ReadLimitException"/> over a limit.</exception>
    public static NpyArray Read(string path, ReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"npy file not found: {path}", path);
        using var fs = File.OpenRead(path);
        return Read(fs, path, limits);
    }

    /// <summary>Reads one <c>.npy</c> array from <paramref name="stream"/> (positioned at the magic).
    /// <paramref name="sourceName"/> names the data in error messages.</summary>
    /// <exception cref="SbiDataException">as <see cref="Read(string, ReadLimits)"/>.</exception>
    public static NpyArray Read(Stream stream, string sourceName = "<stream>", ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, sourceName, ReadBudget.For(stream, limits, sourceName));
    }

    internal static NpyArray Read(Stream stream, string sourceName, ReadBudget budget)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Sbi.Numpy's npy reader needs a little-endian machine");
        var limits = budget.Limits;

        var pre = new byte[8];
        int got = ReadFully(stream, pre);
        if (got < 6 || !pre.AsSpan(0, 6).SequenceEqual(Magic))
            throw new SbiDataException(sourceName, $"not a .npy file: expected magic \\x93NUMPY, found {Describe(pre.AsSpan(0, got))}");
        if (got < 8)
            throw new SbiDataException(sourceName, $"truncated .npy file: it ends after {got} bytes, inside the version field");
        byte major = pre[6], minor = pre[7];
        int lenBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new SbiDataException(sourceName, $"unsupported .npy format version {major}.{minor}; expected 1.0, 2.0 or 3.0"),
        };
        var lenBuf = new byte[lenBytes];
        got = ReadFully(stream, lenBuf);
        if (got < lenBytes)
            throw new SbiDataException(sourceName, "truncated .npy file: it ends inside the header length field");
        long headerLen = lenBytes == 2 ? BitConverter.ToUInt16(lenBuf) : BitConverter.ToUInt32(lenBuf);
        if (headerLen > limits.MaxNpyHeaderBytes)
            throw new ReadLimitException(sourceName, "the .npy header length", nameof(ReadLimits.MaxNpyHeaderBytes), $"{headerLen} bytes", limits.MaxNpyHeaderBytes);
        long remaining = RemainingBytes(stream);
        if (remaining >= 0 && headerLen > remaining)
            throw new SbiDataException(sourceName, $"truncated .npy file: header should have {headerLen} bytes, file has {remaining}");
        var headerBytes = new byte[headerLen];
        got = ReadFully(stream, headerBytes);
        if (got < headerLen)
            throw new SbiDataException(sourceName, $"truncated .npy file: header should have {headerLen} bytes, file has {got}");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        Dictionary<string, object> dict;
        try
        {
            dict = HeaderParser.ParseDict(header);
        }
        catch (FormatException e)
        {
            throw new SbiDataException(sourceName, $"malformed .npy header ({e.Message}): {header.Trim()}", e);
        }
        if (!dict.TryGetValue("descr", out var descrObj) || !dict.TryGetValue("fortran_order", out var fortranObj) || !dict.TryGetValue("shape", out var shapeObj))
            throw new SbiDataException(sourceName, $".npy header lacks one of 'descr', 'fortran_order', 'shape': {header.Trim()}");
        if (descrObj is not string descr)
            throw new SbiDataException(sourceName, $"unsupported dtype: structured arrays (descr {HeaderParser.Format(descrObj)}) are not supported; expected one of {SupportedDTypes}");
        if (fortranObj is not bool fortran)
            throw new SbiDataException(sourceName, $".npy header 'fortran_order' should be True or False, found {HeaderParser.Format(fortranObj)}");
        if (shapeObj is not HeaderParser.PyTuple shapeTuple || shapeTuple.Items.Any(i => i is not long l || l < 0))
            throw new SbiDataException(sourceName, $".npy header 'shape' should be a tuple of non-negative ints, found {HeaderParser.Format(shapeObj)}");
        if (shapeTuple.Items.Count > limits.MaxDimensions)
            throw new ReadLimitException(sourceName, "the array's number of dimensions", nameof(ReadLimits.MaxDimensions), shapeTuple.Items.Count, limits.MaxDimensions);
        long[] shape = shapeTuple.Items.Select(i => (long)i!).ToArray();

        var (et, itemSize, swap) = ParseDescr(descr, sourceName);

        long count;
        try { count = checked(CountOf(shape) * itemSize); }
        catch (OverflowException) { throw new SbiDataException(sourceName, $"shape ({string.Join(", ", shape)}) of dtype {descr} needs more than 2^63 bytes"); }
        // a header may claim any shape: compare with what the file holds before allocating
        remaining = RemainingBytes(stream);
        if (remaining >= 0 && count > remaining)
            throw new SbiDataException(sourceName, $"truncated .npy file: dtype {descr} shape ({string.Join(", ", shape)}) needs {count} data bytes, found {remaining} after the header");
        if (count > Array.MaxLength)
            throw new SbiDataException(sourceName, $"array data of {count} bytes exceeds the {Array.MaxLength}-byte limit of one .NET array");
        budget.Charge(count, "the array data");
        var data = remaining >= 0 ? new byte[count] : null;
        got = data != null ? ReadFully(stream, data) : ReadGrowing(stream, (int)count, out data);
        if (got < count)
            throw new SbiDataException(sourceName, $"truncated .npy file: dtype {descr} shape ({string.Join(", ", shape)}) needs {count} data bytes, found {got}");
        if (swap) SwapBytes(data, et == NpyElementType.Unicode ? 4 : itemSize);
        // numpy writes fortran_order True for arrays that are F- but not C-contiguous (sbi's fixtures have
        // some, e.g. transposed sample log-probs); NpyArray always holds C order, so reorder here.
        if (fortran && shape.Count(d => d != 1) > 1)
        {
            budget.Charge(count, "the array reordered from Fortran to C order");
            data = FortranToC(data, shape, itemSize);
        }
        return new NpyArray(et, itemSize, shape, data, fortran);
    }

    /// <summary>Bytes left in <paramref name="stream"/>, or -1 when it cannot tell.</summary>
    private static long RemainingBytes(Stream stream)
    {
        try
        {
            return stream.CanSeek ? Math.Max(0, stream.Length - stream.Position)
                : stream is CheckedMemberStream m ? Math.Max(0, m.DeclaredLength - m.Position) : -1;
        }
        catch (NotSupportedException) { return -1; }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes from a stream of unknown length into a buffer that grows
    /// (doubling from 1 MiB) only as data arrives, so a header's claim costs at most twice the bytes really there.</summary>
    private static int ReadGrowing(Stream stream, int count, out byte[] data)
    {
        data = new byte[Math.Min(count, 1 << 20)];
        int total = 0;
        while (true)
        {
            total += ReadFully(stream, data.AsSpan(total));
            if (total < data.Length || data.Length == count) return total;
            Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
        }
    }

    /// <summary>Reverses the byte order of each <paramref name="unit"/>-byte element in place.</summary>
    private static void SwapBytes(byte[] data, int unit)
    {
        if (unit == 1) return;
        for (int i = 0; i + unit <= data.Length; i += unit)
            data.AsSpan(i, unit).Reverse();
    }

    private static byte[] FortranToC(byte[] src, long[] shape, int itemSize)
    {
        var dst = new byte[src.Length];
        int n = shape.Length;
        var fStride = new long[n];
        long s = 1;
        for (int k = 0; k < n; k++) { fStride[k] = s; s *= shape[k]; }
        var idx = new long[n];
        long count = src.LongLength / itemSize;
        long srcItem = 0;
        for (long c = 0; c < count; c++)
        {
            Buffer.BlockCopy(src, (int)(srcItem * itemSize), dst, (int)(c * itemSize), itemSize);
            // advance the C-order index (last axis fastest) and keep the Fortran offset in step
            for (int k = n - 1; k >= 0; k--)
            {
                idx[k]++;
                srcItem += fStride[k];
                if (idx[k] < shape[k]) break;
                srcItem -= fStride[k] * idx[k];
                idx[k] = 0;
            }
        }
        return dst;
    }

    /// <summary>Builds an array from a numpy descr, a C-order shape and raw bytes (used by the pickle
    /// loader); refuses unsupported dtypes like <see cref="Read(Stream, string, ReadLimits)"/> and byte-swaps
    /// big-endian data (in place).</summary>
    public static NpyArray FromParts(string descr, long[] shape, byte[] data, string sourceName)
    {
        var (et, itemSize, swap) = ParseDescr(descr, sourceName);
        if (swap) SwapBytes(data, et == NpyElementType.Unicode ? 4 : itemSize);
        return new NpyArray(et, itemSize, shape, data);
    }

    /// <summary>Checks that numpy's <paramref name="descr"/> is supported (throws otherwise).</summary>
    public static void CheckDescr(string descr, string sourceName) => ParseDescr(descr, sourceName);

    /// <summary>The dtype descriptors this library reads.</summary>
    public const string SupportedDTypes = "<f4, <f8, <i4, <i8, |b1, <U<n> (and big-endian >f4, >f8, >i4, >i8, >U<n>)";

    private static (NpyElementType Type, int ItemSize, bool Swap) ParseDescr(string descr, string sourceName)
    {
        if (descr.Length < 2)
            throw new SbiDataException(sourceName, $"unsupported dtype '{descr}'; expected one of {SupportedDTypes}");
        char order = descr[0];
        string body = descr.Substring(1);
        if (order != '<' && order != '|' && order != '=' && order != '>')
        {
            order = '=';
            body = descr;
        }
        if (body == "O" || body.StartsWith("O", StringComparison.Ordinal))
            throw new SbiDataException(sourceName, $"object arrays (dtype '{descr}') hold pickled Python objects and are not supported; expected one of {SupportedDTypes}");
        bool swap = order == '>';
        switch (body)
        {
            case "f4": return (NpyElementType.Float32, 4, swap);
            case "f8": return (NpyElementType.Float64, 8, swap);
            case "i4": return (NpyElementType.Int32, 4, swap);
            case "i8": return (NpyElementType.Int64, 8, swap);
            case "b1" or "?": return (NpyElementType.Bool, 1, false);
        }
        if (body.Length > 1 && body[0] == 'U' && int.TryParse(body.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 && n < int.MaxValue / 4)
            return (NpyElementType.Unicode, n * 4, swap);
        throw new SbiDataException(sourceName, $"unsupported dtype '{descr}'; expected one of {SupportedDTypes}");
    }

    // ------------------------------------------------------------------------- writing

    /// <summary>Writes <paramref name="array"/> as a <c>.npy</c> file numpy reads with <c>np.load</c>.</summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        using var fs = File.Create(path);
        Write(fs, array);
    }

    /// <summary>Writes a float32 array of the given shape (null: 1-D).</summary>
    public static void Write(string path, float[] data, long[]? shape = null) => Write(path, NpyArray.FromFloat32(data, shape));

    /// <summary>Writes a float64 array of the given shape (null: 1-D).</summary>
    public static void Write(string path, double[] data, long[]? shape = null) => Write(path, NpyArray.FromFloat64(data, shape));

    /// <summary>Writes an int64 array of the given shape (null: 1-D).</summary>
    public static void Write(string path, long[] data, long[]? shape = null) => Write(path, NpyArray.FromInt64(data, shape));


    /// <summary>Writes <paramref name="array"/> in <c>.npy</c> format to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        string shape = array.Shape.Length switch
        {
            0 => "()",
            1 => $"({array.Shape[0]},)",
            _ => "(" + string.Join(", ", array.Shape) + ")",
        };
        string dict = $"{{'descr': '{array.DType}', 'fortran_order': False, 'shape': {shape}, }}";
        // numpy pads with spaces and a final '\n' so that the data starts at a multiple of 64 bytes.
        int prefix = 6 + 2 + 2;
        int total = prefix + dict.Length + 1;
        bool v2 = false;
        int padded = (total + 63) / 64 * 64;
        if (padded - prefix > ushort.MaxValue)
        {
            v2 = true;
            prefix = 6 + 2 + 4;
            total = prefix + dict.Length + 1;
            padded = (total + 63) / 64 * 64;
        }
        string header = dict + new string(' ', padded - total) + "\n";
        var buf = new byte[prefix];
        Magic.CopyTo(buf);
        buf[6] = v2 ? (byte)2 : (byte)1;
        buf[7] = 0;
        if (v2) BitConverter.TryWriteBytes(buf.AsSpan(8), (uint)header.Length);
        else BitConverter.TryWriteBytes(buf.AsSpan(8), (ushort)header.Length);
        stream.Write(buf);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(array.RawBytes);
    }

    // ------------------------------------------------------------------------- helpers

    internal static long CountOf(long[] shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    internal static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer.Slice(total));
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    internal static int ReadFully(Stream s, byte[] buffer) => ReadFully(s, buffer.AsSpan());

    private static string Describe(ReadOnlySpan<byte> b)
    {
        if (b.Length == 0) return "an empty file";
        var sb = new StringBuilder("bytes ");
        foreach (var x in b) sb.Append(x.ToString("x2", CultureInfo.InvariantCulture)).Append(' ');
        return sb.ToString().TrimEnd();
    }
}

/// <summary>Parses the Python-literal dict of a <c>.npy</c> header (strings, ints, True/False/None, tuples, lists).</summary>
internal static class HeaderParser
{
    internal sealed record PyTuple(List<object?> Items);
    internal sealed record PyList(List<object?> Items);

    public static Dictionary<string, object> ParseDict(string s)
    {
        int i = 0;
        var v = ParseValue(s, ref i, 0);
        SkipWs(s, ref i);
        if (i != s.Length) throw new FormatException($"unexpected text after the dict at offset {i}");
        if (v is not Dictionary<string, object> d) throw new FormatException("header is not a dict");
        return d;
    }

    public static string Format(object? o) => o switch
    {
        null => "None",
        string str => "'" + str + "'",
        bool b => b ? "True" : "False",
        PyTuple t => "(" + string.Join(", ", t.Items.Select(Format)) + (t.Items.Count == 1 ? ",)" : ")"),
        PyList l => "[" + string.Join(", ", l.Items.Select(Format)) + "]",
        _ => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "",
    };

    private static void SkipWs(string s, ref int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
    }

    /// <summary>How deep a header's literals may nest (numpy's own headers nest 2 deep: a dict holding a tuple, or a
    /// structured dtype's list of tuples). The parser recurses once per level, so a header of "((((…" must stop here.</summary>
    internal const int MaxDepth = 32;

    private static object? ParseValue(string s, ref int i, int depth)
    {
        if (depth > MaxDepth) throw new FormatException($"literals nested deeper than {MaxDepth} levels");
        SkipWs(s, ref i);
        if (i >= s.Length) throw new FormatException("unexpected end of header");
        char c = s[i];
        switch (c)
        {
            case '{':
                {
                    i++;
                    var d = new Dictionary<string, object>();
                    while (true)
                    {
                        SkipWs(s, ref i);
                        if (i < s.Length && s[i] == '}') { i++; return d; }
                        if (ParseValue(s, ref i, depth + 1) is not string key) throw new FormatException("dict key is not a string");
                        SkipWs(s, ref i);
                        if (i >= s.Length || s[i] != ':') throw new FormatException($"expected ':' at offset {i}");
                        i++;
                        d[key] = ParseValue(s, ref i, depth + 1)!;
                        SkipWs(s, ref i);
                        if (i < s.Length && s[i] == ',') { i++; continue; }
                        if (i < s.Length && s[i] == '}') { i++; return d; }
                        throw new FormatException($"expected ',' or '}}' at offset {i}");
                    }
                }
            case '(':
            case '[':
                {
                    char close = c == '(' ? ')' : ']';
                    i++;
                    var items = new List<object?>();
                    while (true)
                    {
                        SkipWs(s, ref i);
                        if (i < s.Length && s[i] == close) { i++; break; }
                        items.Add(ParseValue(s, ref i, depth + 1));
                        SkipWs(s, ref i);
                        if (i < s.Length && s[i] == ',') { i++; continue; }
                        if (i < s.Length && s[i] == close) { i++; break; }
                        throw new FormatException($"expected ',' or '{close}' at offset {i}");
                    }
                    return c == '(' ? new PyTuple(items) : new PyList(items);
                }
            case '\'':
            case '"':
                {
                    i++;
                    var sb = new StringBuilder();
                    while (i < s.Length && s[i] != c)
                    {
                        if (s[i] == '\\' && i + 1 < s.Length) i++;
                        sb.Append(s[i++]);
                    }
                    if (i >= s.Length) throw new FormatException("unterminated string");
                    i++;
                    return sb.ToString();
                }
            default:
                {
                    int start = i;
                    while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '-' || s[i] == '+' || s[i] == '_')) i++;
                    string tok = s.Substring(start, i - start);
                    if (tok == "True") return true;
                    if (tok == "False") return false;
                    if (tok == "None") return null;
                    // Python 2 numpy wrote longs as "3L".
                    string num = tok.EndsWith('L') ? tok[..^1] : tok;
                    if (long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                    throw new FormatException($"unexpected token '{tok}' at offset {start}");
                }
        }
    }
}
