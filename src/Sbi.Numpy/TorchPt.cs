using System.Buffers.Binary;
using System.IO.Compression;
using Sbi.Numpy.Pickle;

namespace Sbi.Numpy;

/// <summary>
/// Reader for files written by PyTorch's <c>torch.save</c> in its zip format (the default since torch 1.6):
/// a tensor, a tuple or list of tensors, a dict (or OrderedDict / state_dict) of tensors, and nestings of
/// these with strings, numbers, bools and None.
/// </summary>
/// <remarks>
/// Why not TorchSharp.PyBridge: its <c>load_py</c> reads state dicts, but a file holding a bare tensor
/// (<c>torch.save(t)</c>) or a tuple fails through its public API with an InvalidCastException, and data
/// sets are usually saved exactly that way. The torch zip format is small: <c>&lt;prefix&gt;/data.pkl</c> is a
/// pickle whose tensors are <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>
/// calls, and whose storages are persistent ids <c>('storage', torch.FloatStorage, key, location, numel)</c>
/// naming the raw little-endian member <c>&lt;prefix&gt;/data/&lt;key&gt;</c>. The unpickler here
/// (<see cref="PickleReader"/>) runs no code: only the few torch globals above and
/// <c>collections.OrderedDict</c> are accepted; any other Python object is refused with a message.
/// Tensors are returned as C-ordered <see cref="NpyArray"/>s (no TorchSharp here: file formats are read without
/// libtorch); float16 and bfloat16 storages widen to float32 and int8/int16/uint8 to int32, exactly.
/// </remarks>
public static class TorchPt
{
    /// <summary>Loads the object saved in <paramref name="path"/>, bounded by <paramref name="limits"/> (null:
    /// <see cref="ReadLimits.Default"/>). Result types: <see cref="NpyArray"/> (a tensor),
    /// <c>object?[]</c> (tuple), <c>List&lt;object?&gt;</c> (list), <see cref="PickleDict"/> (dict), string,
    /// long, double, bool, null.</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="SbiDataException">the file is not a torch zip file, is truncated or corrupt (a member fails
    /// its CRC-32 check), a tensor reaches outside its storage, or it holds objects other than tensors and plain
    /// containers; the message names the file (and member). <see cref="ReadLimitException"/>: over a limit.</exception>
    public static object? Load(string path, ReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"torch file not found: {path}", path);
        using var fs = File.OpenRead(path);
        return Load(fs, path, limits);
    }

    /// <summary>Loads from a seekable stream; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="SbiDataException">as <see cref="Load(string, ReadLimits)"/>.</exception>
    public static object? Load(Stream stream, string sourceName = "<stream>", ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("stream must be seekable", nameof(stream));
        var budget = ReadBudget.For(stream, limits, sourceName);
        var head = new byte[4];
        int got = Npy.ReadFully(stream, head);
        stream.Seek(-got, SeekOrigin.Current);
        if (got < 4 || head[0] != (byte)'P' || head[1] != (byte)'K')
        {
            if (got >= 2 && head[0] == 0x80 && head[1] <= 5)
                throw new SbiDataException(sourceName, "this is PyTorch's legacy (pre-1.6, non-zip) format, which is not supported; re-save it with torch.save(obj, path) from torch >= 1.6 (the default zip format)");
            throw new SbiDataException(sourceName, $"not a PyTorch zip file (torch.save): expected the zip magic 'PK', found {(got == 0 ? "an empty file" : BitConverter.ToString(head, 0, got))}");
        }

        using var zip = ZipMembers.Open(stream, sourceName, "PyTorch zip file");
        var entries = ZipMembers.Entries(zip, sourceName);
        var pkls = entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pkls.Count != 1)
            throw new SbiDataException(sourceName, $"expected one '<name>/data.pkl' member in a torch.save zip file, found {pkls.Count}" +
                (entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)) ? " (this looks like a TorchScript archive from torch.jit.save, which is not supported)" : ""));
        string prefix = pkls[0].FullName[..^"data.pkl".Length];
        bool bigEndian = false;
        if (zip.GetEntry(prefix + "byteorder") is { } byteOrder)
        {
            string bo = System.Text.Encoding.ASCII.GetString(ZipMembers.ReadAll(byteOrder, budget)).Trim();
            bigEndian = bo switch
            {
                "little" => false,
                "big" => true,
                _ => throw new SbiDataException(sourceName, $"member '{byteOrder.FullName}' says '{ZipMembers.Printable(bo)}'; expected 'little' or 'big'"),
            };
        }

        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        byte[] pkl = ZipMembers.ReadAll(pkls[0], budget);
        object? StorageFor(object? pid) => LoadStorage(pid, zip, prefix, bigEndian, budget, storages);
        var reader = new PickleReader((g, args) => Call(g, args, budget), StorageFor, limits: budget.Limits,
            sourceName: $"{sourceName}: member '{pkls[0].FullName}'").WithBudget(budget);
        return reader.Load(pkl);
    }

    /// <summary>Loads a file that holds one tensor (<c>torch.save(t, path)</c>).</summary>
    /// <exception cref="SbiDataException">as <see cref="Load(string, ReadLimits)"/>, or the file holds something else.</exception>
    public static NpyArray LoadArray(string path, ReadLimits? limits = null)
    {
        var o = Load(path, limits);
        return o as NpyArray ?? throw new SbiDataException(path, $"expected one tensor, found {PickleValues.Describe(o)}");
    }

    /// <summary>Loads a file that holds a tuple or list of tensors (<c>torch.save((theta, x), path)</c>).</summary>
    /// <exception cref="SbiDataException">as <see cref="Load(string, ReadLimits)"/>, or the file holds something else.</exception>
    public static NpyArray[] LoadArrays(string path, ReadLimits? limits = null)
    {
        var o = Load(path, limits);
        IEnumerable<object?>? items = o switch { object?[] a => a, List<object?> l => l, _ => null };
        if (items != null && items.All(i => i is NpyArray)) return items.Cast<NpyArray>().ToArray();
        throw new SbiDataException(path, $"expected a tuple or list of tensors, found {PickleValues.Describe(o)}");
    }

    /// <summary>Loads a file that holds a dict of tensors with string keys (a state_dict, or
    /// <c>{"theta": ..., "x": ...}</c>), in the file's key order.</summary>
    /// <exception cref="SbiDataException">as <see cref="Load(string, ReadLimits)"/>, or the file holds something else.</exception>
    public static IReadOnlyList<KeyValuePair<string, NpyArray>> LoadArrayDict(string path, ReadLimits? limits = null)
    {
        var o = Load(path, limits);
        if (o is PickleDict d && d.All(kv => kv.Key is string && kv.Value is NpyArray))
            return d.Select(kv => new KeyValuePair<string, NpyArray>((string)kv.Key, (NpyArray)kv.Value!)).ToList();
        throw new SbiDataException(path, $"expected a dict of string keys to tensors, found {PickleValues.Describe(o)}");
    }

    // ------------------------------------------------------------------ writing

    /// <summary>Writes <paramref name="value"/> in PyTorch's zip format, readable by <c>torch.load</c>
    /// (torch >= 1.6). Accepted values: <see cref="NpyArray"/> (written as a tensor: float32/64, int32/64, bool;
    /// Fortran-ordered arrays as C-ordered copies), <c>object?[]</c> (written as a tuple), lists (any
    /// <see cref="System.Collections.IList"/>), <see cref="PickleDict"/> or sequences of
    /// <c>KeyValuePair&lt;string, NpyArray&gt;</c> (written as dicts, in order), string, int/long,
    /// float/double, bool and null.</summary>
    /// <exception cref="ArgumentException">a value of another type, or an unsupported dtype.</exception>
    public static void Save(string path, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string archive = System.IO.Path.GetFileNameWithoutExtension(path);
        if (string.IsNullOrEmpty(archive) || archive.Any(c => c == '/' || c == '\\' || c > 0x7e || c < 0x20)) archive = "archive";
        var storages = new List<NpyArray>();
        var w = new PickleWriter();
        WriteValue(w, value, storages);
        byte[] pkl = w.Finish();
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, ReadOnlySpan<byte> data)
        {
            using var es = zip.CreateEntry(archive + "/" + name, CompressionLevel.NoCompression).Open();
            es.Write(data);
        }
        Add("data.pkl", pkl);
        for (int i = 0; i < storages.Count; i++) Add("data/" + i, storages[i].RawBytes);
        Add("version", "3\n"u8);
    }

    private static void WriteValue(PickleWriter w, object? v, List<NpyArray> storages)
    {
        switch (v)
        {
            case null: w.None(); break;
            case bool b: w.Bool(b); break;
            case int i: w.Int(i); break;
            case long l: w.Int(l); break;
            case float f: w.Float(f); break;
            case double d: w.Float(d); break;
            case string s: w.String(s); break;
            case NpyArray t: WriteTensor(w, t, storages); break;
            case object?[] tuple:
                w.Tuple(tuple.Length, () => { foreach (var o in tuple) WriteValue(w, o, storages); });
                break;
            case PickleDict pd:
                WriteDict(w, pd.Select(kv => new KeyValuePair<object, object?>(kv.Key, kv.Value)), storages);
                break;
            case IEnumerable<KeyValuePair<string, NpyArray>> kvs:
                WriteDict(w, kvs.Select(kv => new KeyValuePair<object, object?>(kv.Key, kv.Value)), storages);
                break;
            case System.Collections.IList list:
                w.Op(']');
                if (list.Count > 0)
                {
                    w.Mark();
                    foreach (var o in list) WriteValue(w, o, storages);
                    w.Op('e'); // APPENDS
                }
                break;
            default:
                throw new ArgumentException($"cannot write a value of type {v.GetType().Name} to a torch file; use NpyArray tensors, object?[] (tuple), lists, PickleDict or KeyValuePair<string, NpyArray> sequences, strings, numbers, bools, null");
        }
    }

    private static void WriteDict(PickleWriter w, IEnumerable<KeyValuePair<object, object?>> items, List<NpyArray> storages)
    {
        w.Op('}');
        var list = items.ToList();
        if (list.Count == 0) return;
        w.Mark();
        foreach (var (k, val) in list)
        {
            WriteValue(w, k, storages);
            WriteValue(w, val, storages);
        }
        w.Op('u'); // SETITEMS
    }

    private static void WriteTensor(PickleWriter w, NpyArray t, List<NpyArray> storages)
    {
        string storageType = t.ElementType switch
        {
            NpyElementType.Float32 => "FloatStorage",
            NpyElementType.Float64 => "DoubleStorage",
            NpyElementType.Int64 => "LongStorage",
            NpyElementType.Int32 => "IntStorage",
            NpyElementType.Bool => "BoolStorage",
            _ => throw new ArgumentException($"an array of dtype {t.DType} cannot be written to a torch file"),
        };
        var c = t; // held in C order whatever the file it came from
        storages.Add(c);
        string key = (storages.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        long[] shape = c.Shape;
        var stride = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { stride[i] = s; s *= Math.Max(1, shape[i]); }

        w.Global("torch._utils", "_rebuild_tensor_v2");
        w.Mark();
        // persistent id ('storage', torch.XStorage, key, 'cpu', numel)
        w.Mark();
        w.String("storage");
        w.Global("torch", storageType);
        w.String(key);
        w.String("cpu");
        w.Int(c.Count);
        w.Op('t');
        w.Op('Q'); // BINPERSID
        w.Int(0); // storage offset
        w.Tuple(shape.Length, () => { foreach (var d in shape) w.Int(d); });
        w.Tuple(stride.Length, () => { foreach (var d in stride) w.Int(d); });
        w.Bool(false); // requires_grad
        w.Global("collections", "OrderedDict"); // backward hooks
        w.Op(')');
        w.Op('R');
        w.Op('t');
        w.Op('R');
    }

    // ------------------------------------------------------------------ internals

    /// <summary>How one stored element becomes an element of the numpy dtype (exactly).</summary>
    private enum Widening { None, Half, BFloat16, Int16, Int8, UInt8 }

    /// <summary>A torch storage type: its element size, the numpy dtype it reads as, and how it widens.</summary>
    private sealed record StorageKind(string Name, int Size, NpyElementType Target, Widening Widen)
    {
        public int TargetSize => NpyArray.ItemSizeOf(Target);
    }

    private static readonly Dictionary<string, StorageKind> StorageKinds = new[]
    {
        new StorageKind("FloatStorage", 4, NpyElementType.Float32, Widening.None),
        new StorageKind("DoubleStorage", 8, NpyElementType.Float64, Widening.None),
        new StorageKind("HalfStorage", 2, NpyElementType.Float32, Widening.Half),
        new StorageKind("BFloat16Storage", 2, NpyElementType.Float32, Widening.BFloat16),
        new StorageKind("LongStorage", 8, NpyElementType.Int64, Widening.None),
        new StorageKind("IntStorage", 4, NpyElementType.Int32, Widening.None),
        new StorageKind("ShortStorage", 2, NpyElementType.Int32, Widening.Int16),
        new StorageKind("CharStorage", 1, NpyElementType.Int32, Widening.Int8),
        new StorageKind("ByteStorage", 1, NpyElementType.Int32, Widening.UInt8),
        new StorageKind("BoolStorage", 1, NpyElementType.Bool, Widening.None),
    }.ToDictionary(k => k.Name);

    /// <summary>A storage's raw elements (little-endian) and its kind.</summary>
    private sealed record Storage(StorageKind Kind, byte[] Bytes, long Count, string Member);

    private static Storage LoadStorage(object? pid, ZipArchive zip, string prefix, bool bigEndian, ReadBudget budget, Dictionary<string, Storage> cache)
    {
        string source = budget.Source;
        if (pid is not object?[] { Length: 5 } p || p[0] is not "storage")
            throw new SbiDataException(source, $"unsupported persistent id {TorchPtKind(pid)}; expected ('storage', type, key, location, numel)");
        if (p[1] is not PyGlobal { Module: "torch" } stg || !StorageKinds.TryGetValue(stg.Name, out var kind))
            throw new SbiDataException(source, $"persistent id has storage type {PickleReader.Describe(p[1])}; expected one of torch.{string.Join(", torch.", StorageKinds.Keys)}");
        if (p[2] is not string key) throw new SbiDataException(source, "persistent id storage key is not a string");
        if (p[4] is not long numel || numel < 0) throw new SbiDataException(source, "persistent id storage size is not a non-negative int");
        if (cache.TryGetValue(key, out var cached))
        {
            if (cached.Kind != kind) throw new SbiDataException(source, $"storage '{ZipMembers.Printable(key)}' is used with two types ({cached.Kind.Name}, {kind.Name}), which is not supported");
            if (cached.Count != numel) throw new SbiDataException(source, $"storage '{ZipMembers.Printable(key)}' is declared with {cached.Count} and with {numel} elements");
            return cached;
        }
        string name = prefix + "data/" + key;
        var entry = zip.GetEntry(name)
            ?? throw new SbiDataException(source, $"storage member '{ZipMembers.Printable(name)}' is missing (truncated or corrupt file)");
        long need = numel > long.MaxValue / kind.Size ? long.MaxValue : numel * kind.Size;
        if (entry.Length < need)
            throw new SbiDataException(source, $"storage member '{entry.FullName}' has {entry.Length} bytes; {numel} elements of {kind.Name} need {(need == long.MaxValue ? "more than 2^63" : need.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        var bytes = ZipMembers.ReadAll(entry, budget);
        if (bigEndian && kind.Size > 1)
            for (long i = 0; i + kind.Size <= need; i += kind.Size) bytes.AsSpan((int)i, kind.Size).Reverse();
        var storage = new Storage(kind, bytes, numel, entry.FullName);
        cache[key] = storage;
        return storage;
    }

    private static string TorchPtKind(object? o) => o is object?[] a ? "(" + string.Join(", ", a.Take(8).Select(x => x is string s ? "'" + ZipMembers.Printable(s) + "'" : PickleReader.Describe(x))) + ")" : PickleReader.Describe(o);

    private static object? Call(PyGlobal g, object?[] args, ReadBudget budget)
    {
        string source = budget.Source;
        switch (g.Module, g.Name)
        {
            case ("collections", "OrderedDict"):
            case ("builtins", "dict"):
            case ("__builtin__", "dict"):
                {
                    var d = new PickleDict();
                    if (args.Length == 1 && args[0] is List<object?> pairs)
                        foreach (var pair in pairs)
                            if (pair is object?[] { Length: 2 } kv && kv[0] != null) d.Set(kv[0]!, kv[1]);
                            else throw new SbiDataException(source, "OrderedDict argument is not a list of pairs");
                    else if (args.Length != 0) throw new SbiDataException(source, $"{g} called with {args.Length} arguments");
                    return d;
                }
            case ("torch._utils", "_rebuild_tensor_v2"):
            case ("torch._utils", "_rebuild_tensor"):
                return RebuildTensor(args, budget);
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                return args.Length >= 1 && args[0] is NpyArray data ? data : throw new SbiDataException(source, "_rebuild_parameter without a tensor");
            case ("torch._tensor", "_rebuild_from_type_v2"):
                {
                    // (func, type, args, state): used for tensors whose Python object carries attributes. torch nests
                    // it one level only; refusing a nested one keeps a file from driving this recursion deep.
                    if (args.Length != 4 || args[0] is not PyGlobal f || args[2] is not object?[] fargs || f is { Module: "torch._tensor", Name: "_rebuild_from_type_v2" })
                        throw new SbiDataException(source, "malformed _rebuild_from_type_v2 call");
                    if (args[1] is PyGlobal tp && !(tp.Module is "torch" && tp.Name is "Tensor") && !(tp.Module == "torch.nn.parameter" && tp.Name == "Parameter"))
                        throw new SbiDataException(source, $"tensor subclass {tp} is not supported");
                    return Call(f, fargs, budget);
                }
        }
        throw new SbiDataException(source, $"unsupported Python object {g} (only tensors, tuples, lists, dicts, strings and numbers are read; save plain tensors, e.g. torch.save((theta, x), path))");
    }

    /// <summary>
    /// torch's _rebuild_tensor_v2(storage, offset, size, stride, ...): the strided view of the storage gathered into a
    /// C-ordered array (widened to a numpy dtype where torch's has none). The view must lie inside the storage (all
    /// extent arithmetic checked for overflow), and the array it materialises is charged to the load's byte budget
    /// before it is allocated, so stride-0 or overlapping views cannot blow up a small file.
    /// </summary>
    private static NpyArray RebuildTensor(object?[] args, ReadBudget budget)
    {
        string source = budget.Source;
        if (args.Length < 4 || args[0] is not Storage storage || args[1] is not long offset
            || args[2] is not object?[] size || args[3] is not object?[] stride
            || size.Any(s => s is not long) || stride.Any(s => s is not long) || size.Length != stride.Length)
            throw new SbiDataException(source, "malformed _rebuild_tensor_v2 arguments; expected (storage, offset, size, stride, ...)");
        if (size.Length > budget.Limits.MaxDimensions)
            throw new ReadLimitException(source, "a tensor's number of dimensions", nameof(ReadLimits.MaxDimensions), size.Length, budget.Limits.MaxDimensions);
        long[] sz = size.Select(s => (long)s!).ToArray();
        long[] st = stride.Select(s => (long)s!).ToArray();
        string View() => $"tensor of size ({string.Join(", ", sz)}), stride ({string.Join(", ", st)}), offset {offset} on storage '{storage.Member}'";
        if (offset < 0 || sz.Any(d => d < 0) || st.Any(d => d < 0))
            throw new SbiDataException(source, $"{View()} has a negative size, stride or offset");
        long count;
        try
        {
            count = Npy.CountOf(sz);
            if (count > 0)
            {
                // the last element the view reaches must lie inside the storage
                long last = offset;
                for (int i = 0; i < sz.Length; i++) last = checked(last + checked((sz[i] - 1) * st[i]));
                if (last >= storage.Count) throw new SbiDataException(source, $"{View()} reaches element {last}, past the end of its storage of {storage.Count} elements");
            }
            else if (offset > storage.Count) throw new SbiDataException(source, $"{View()} starts past the end of its storage of {storage.Count} elements");
        }
        catch (OverflowException)
        {
            throw new SbiDataException(source, $"{View()} reaches past 2^63 elements, far past its storage of {storage.Count} elements");
        }
        var kind = storage.Kind;
        int outSize = kind.TargetSize;
        // torch.save's usual case: a whole, contiguous storage of a numpy dtype is the array's data as it is
        if (kind.Widen == Widening.None && offset == 0 && count == storage.Count && count * kind.Size == storage.Bytes.LongLength && IsContiguous(sz, st))
            return NpyArray.FromBytes(kind.Target, sz, storage.Bytes);
        long outBytes = count > long.MaxValue / outSize ? long.MaxValue : count * outSize;
        budget.Charge(outBytes, $"the {View()} ({count} elements)");
        var data = new byte[outBytes];
        Gather(storage, offset, sz, st, data);
        return NpyArray.FromBytes(kind.Target, sz, data);
    }

    private static bool IsContiguous(long[] sz, long[] st)
    {
        long expect = 1;
        for (int i = sz.Length - 1; i >= 0; i--)
        {
            if (sz[i] != 1 && st[i] != expect) return false;
            expect *= sz[i];
        }
        return true;
    }

    /// <summary>Copies the strided view into <paramref name="data"/> in C order, one innermost row at a time (a block
    /// copy where the row is contiguous and needs no widening), the source offset kept in step with the index.</summary>
    private static void Gather(Storage storage, long offset, long[] sz, long[] st, byte[] data)
    {
        var kind = storage.Kind;
        int size = kind.Size, outSize = kind.TargetSize, nd = sz.Length;
        long count = data.LongLength / outSize;
        if (count == 0) return;
        long inner = nd == 0 ? 1 : sz[nd - 1], innerStride = nd == 0 ? 1 : st[nd - 1];
        var src = storage.Bytes;
        var index = new long[Math.Max(0, nd - 1)];
        long at = offset, dst = 0;
        for (long row = 0, rows = count / inner; row < rows; row++)
        {
            if (innerStride == 1 && kind.Widen == Widening.None)
                src.AsSpan((int)(at * size), (int)(inner * size)).CopyTo(data.AsSpan((int)(dst * outSize)));
            else
                for (long j = 0; j < inner; j++)
                    WriteElement(kind.Widen, src.AsSpan((int)((at + j * innerStride) * size), size), data.AsSpan((int)((dst + j) * outSize), outSize));
            dst += inner;
            for (int i = nd - 2; i >= 0; i--)
            {
                at += st[i];
                if (++index[i] < sz[i]) break;
                at -= st[i] * index[i];
                index[i] = 0;
            }
        }
    }

    /// <summary>One element, converted exactly to the target dtype (half and bfloat16 to float32, small ints to int32).</summary>
    private static void WriteElement(Widening widen, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        switch (widen)
        {
            case Widening.Half:
                BinaryPrimitives.WriteSingleLittleEndian(dst, (float)BinaryPrimitives.ReadHalfLittleEndian(src));
                break;
            case Widening.BFloat16:
                BinaryPrimitives.WriteInt32LittleEndian(dst, BinaryPrimitives.ReadUInt16LittleEndian(src) << 16);
                break;
            case Widening.Int16:
                BinaryPrimitives.WriteInt32LittleEndian(dst, BinaryPrimitives.ReadInt16LittleEndian(src));
                break;
            case Widening.Int8:
                BinaryPrimitives.WriteInt32LittleEndian(dst, (sbyte)src[0]);
                break;
            case Widening.UInt8:
                BinaryPrimitives.WriteInt32LittleEndian(dst, src[0]);
                break;
            default:
                src.CopyTo(dst);
                break;
        }
    }
}
