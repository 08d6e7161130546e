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
    /// <summary>Loads the object saved in <paramref name="path"/>. Result types: <see cref="NpyArray"/> (a tensor),
    /// <c>object?[]</c> (tuple), <c>List&lt;object?&gt;</c> (list), <see cref="PickleDict"/> (dict), string,
    /// long, double, bool, null.</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="InvalidDataException">the file is not a torch zip file, is truncated or corrupt,
    /// or holds objects other than tensors and plain containers; the message names the file.</exception>
    public static object? Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"torch file not found: {path}", path);
        using var fs = File.OpenRead(path);
        return Load(fs, path);
    }

    /// <summary>Loads from a stream; <paramref name="sourceName"/> names it in error messages.</summary>
    public static object? Load(Stream stream, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var head = new byte[4];
        int got = Npy.ReadFully(stream, head);
        if (stream.CanSeek) stream.Seek(-got, SeekOrigin.Current);
        else throw new ArgumentException("stream must be seekable", nameof(stream));
        if (got < 4 || head[0] != (byte)'P' || head[1] != (byte)'K')
        {
            if (got >= 2 && head[0] == 0x80 && head[1] <= 5)
                throw new InvalidDataException($"{sourceName}: this is PyTorch's legacy (pre-1.6, non-zip) format, which is not supported; re-save it with torch.save(obj, path) from torch >= 1.6 (the default zip format)");
            throw new InvalidDataException($"{sourceName}: not a PyTorch zip file (torch.save): expected the zip magic 'PK', found {(got == 0 ? "an empty file" : BitConverter.ToString(head, 0, got))}");
        }

        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{sourceName}: not a readable PyTorch zip file (truncated or corrupt): {e.Message}", e); }

        using (zip)
        {
            var pkls = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
            if (pkls.Count != 1)
                throw new InvalidDataException($"{sourceName}: expected one '<name>/data.pkl' member in a torch.save zip file, found {pkls.Count}" +
                    (zip.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)) ? " (this looks like a TorchScript archive from torch.jit.save, which is not supported)" : ""));
            string prefix = pkls[0].FullName[..^"data.pkl".Length];
            var byteOrder = zip.GetEntry(prefix + "byteorder");
            if (byteOrder != null)
            {
                using var r = new StreamReader(byteOrder.Open());
                string bo = r.ReadToEnd().Trim();
                if (bo != "little")
                    throw new InvalidDataException($"{sourceName}: storages are '{bo}'-endian; only little-endian files are supported");
            }

            var storages = new Dictionary<string, Storage>();
            try
            {
                byte[] pkl = ReadEntry(pkls[0], sourceName);
                object? StorageFor(object? pid) => LoadStorage(pid, zip, prefix, sourceName, storages);
                var reader = new PickleReader((g, args) => Call(g, args, sourceName), StorageFor);
                return reader.Load(pkl);
            }
            catch (InvalidDataException ide) when (!ide.Message.StartsWith(sourceName, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{sourceName}: {ide.Message}", ide);
            }
        }
    }

    /// <summary>Loads a file that holds one tensor (<c>torch.save(t, path)</c>).</summary>
    public static NpyArray LoadArray(string path)
    {
        var o = Load(path);
        return o as NpyArray ?? throw new InvalidDataException($"{path}: expected one tensor, found {PickleValues.Describe(o)}");
    }

    /// <summary>Loads a file that holds a tuple or list of tensors (<c>torch.save((theta, x), path)</c>).</summary>
    public static NpyArray[] LoadArrays(string path)
    {
        var o = Load(path);
        IEnumerable<object?>? items = o switch { object?[] a => a, List<object?> l => l, _ => null };
        if (items != null && items.All(i => i is NpyArray)) return items.Cast<NpyArray>().ToArray();
        throw new InvalidDataException($"{path}: expected a tuple or list of tensors, found {PickleValues.Describe(o)}");
    }

    /// <summary>Loads a file that holds a dict of tensors with string keys (a state_dict, or
    /// <c>{"theta": ..., "x": ...}</c>), in the file's key order.</summary>
    public static IReadOnlyList<KeyValuePair<string, NpyArray>> LoadArrayDict(string path)
    {
        var o = Load(path);
        if (o is PickleDict d && d.All(kv => kv.Key is string && kv.Value is NpyArray))
            return d.Select(kv => new KeyValuePair<string, NpyArray>((string)kv.Key, (NpyArray)kv.Value!)).ToList();
        throw new InvalidDataException($"{path}: expected a dict of string keys to tensors, found {PickleValues.Describe(o)}");
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

    /// <summary>A torch storage type: its element size and how one element reads (as stored, then widened).</summary>
    private sealed record StorageKind(string Name, int Size, NpyElementType Target);

    private static readonly Dictionary<string, StorageKind> StorageKinds = new[]
    {
        new StorageKind("FloatStorage", 4, NpyElementType.Float32),
        new StorageKind("DoubleStorage", 8, NpyElementType.Float64),
        new StorageKind("HalfStorage", 2, NpyElementType.Float32),
        new StorageKind("BFloat16Storage", 2, NpyElementType.Float32),
        new StorageKind("LongStorage", 8, NpyElementType.Int64),
        new StorageKind("IntStorage", 4, NpyElementType.Int32),
        new StorageKind("ShortStorage", 2, NpyElementType.Int32),
        new StorageKind("CharStorage", 1, NpyElementType.Int32),
        new StorageKind("ByteStorage", 1, NpyElementType.Int32),
        new StorageKind("BoolStorage", 1, NpyElementType.Bool),
    }.ToDictionary(k => k.Name);

    /// <summary>A storage's raw elements (little-endian) and its kind.</summary>
    private sealed record Storage(StorageKind Kind, byte[] Bytes, long Count);

    private static byte[] ReadEntry(ZipArchiveEntry e, string sourceName)
    {
        if (e.Length > Array.MaxLength)
            throw new InvalidDataException($"{sourceName}: member '{e.FullName}' has {e.Length} bytes, over one .NET array's limit");
        var buf = new byte[e.Length];
        try
        {
            using var s = e.Open();
            int got = Npy.ReadFully(s, buf);
            if (got != buf.Length) throw new InvalidDataException($"member '{e.FullName}' should have {buf.Length} bytes, read {got}");
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{sourceName}: member '{e.FullName}' cannot be read (truncated or corrupt): {ex.Message}", ex);
        }
        return buf;
    }

    private static Storage LoadStorage(object? pid, ZipArchive zip, string prefix, string sourceName, Dictionary<string, Storage> cache)
    {
        if (pid is not object?[] { Length: 5 } p || p[0] is not "storage")
            throw new InvalidDataException($"unsupported persistent id {TorchPtKind(pid)}; expected ('storage', type, key, location, numel)");
        if (p[1] is not PyGlobal { Module: "torch" } stg || !StorageKinds.TryGetValue(stg.Name, out var kind))
            throw new InvalidDataException($"persistent id has storage type {PickleReader.Describe(p[1])}; expected one of torch.{string.Join(", torch.", StorageKinds.Keys)}");
        if (p[2] is not string key) throw new InvalidDataException("persistent id storage key is not a string");
        if (p[4] is not long numel || numel < 0) throw new InvalidDataException("persistent id storage size is not a non-negative int");
        if (cache.TryGetValue(key, out var cached))
        {
            if (cached.Kind != kind) throw new InvalidDataException($"storage '{key}' is used with two types ({cached.Kind.Name}, {kind.Name}), which is not supported");
            return cached;
        }
        var entry = zip.GetEntry(prefix + "data/" + key)
            ?? throw new InvalidDataException($"{sourceName}: storage member '{prefix}data/{key}' is missing (truncated or corrupt file)");
        if (entry.Length < numel * kind.Size)
            throw new InvalidDataException($"{sourceName}: storage member '{entry.FullName}' has {entry.Length} bytes; {numel} elements of {kind.Name} need {numel * kind.Size}");
        var storage = new Storage(kind, ReadEntry(entry, sourceName), numel);
        cache[key] = storage;
        return storage;
    }

    private static string TorchPtKind(object? o) => o is object?[] a ? "(" + string.Join(", ", a.Select(x => x is string s ? "'" + s + "'" : PickleReader.Describe(x))) + ")" : PickleReader.Describe(o);

    private static object? Call(PyGlobal g, object?[] args, string sourceName)
    {
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
                            else throw new InvalidDataException("OrderedDict argument is not a list of pairs");
                    else if (args.Length != 0) throw new InvalidDataException($"{g} called with {args.Length} arguments");
                    return d;
                }
            case ("torch._utils", "_rebuild_tensor_v2"):
            case ("torch._utils", "_rebuild_tensor"):
                return RebuildTensor(args);
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                return args.Length >= 1 && args[0] is NpyArray data ? data : throw new InvalidDataException("_rebuild_parameter without a tensor");
            case ("torch._tensor", "_rebuild_from_type_v2"):
                {
                    // (func, type, args, state): used for tensors whose Python object carries attributes
                    if (args.Length != 4 || args[0] is not PyGlobal f || args[2] is not object?[] fargs)
                        throw new InvalidDataException("malformed _rebuild_from_type_v2 call");
                    if (args[1] is PyGlobal tp && !(tp.Module is "torch" && tp.Name is "Tensor") && !(tp.Module == "torch.nn.parameter" && tp.Name == "Parameter"))
                        throw new InvalidDataException($"tensor subclass {tp} is not supported");
                    return Call(f, fargs, sourceName);
                }
        }
        throw new InvalidDataException($"unsupported Python object {g} (only tensors, tuples, lists, dicts, strings and numbers are read; save plain tensors, e.g. torch.save((theta, x), path))");
    }

    /// <summary>
    /// torch's _rebuild_tensor_v2(storage, offset, size, stride, ...): the strided view of the storage gathered into a
    /// C-ordered array (widened to a numpy dtype where torch's has none). The view must lie inside the storage.
    /// </summary>
    private static NpyArray RebuildTensor(object?[] args)
    {
        if (args.Length < 4 || args[0] is not Storage storage || args[1] is not long offset
            || args[2] is not object?[] size || args[3] is not object?[] stride
            || size.Any(s => s is not long) || stride.Any(s => s is not long) || size.Length != stride.Length)
            throw new InvalidDataException("malformed _rebuild_tensor_v2 arguments; expected (storage, offset, size, stride, ...)");
        long[] sz = size.Select(s => (long)s!).ToArray();
        long[] st = stride.Select(s => (long)s!).ToArray();
        // bounds check so a corrupt file cannot make the gather read outside the storage
        long maxOffset = offset;
        for (int i = 0; i < sz.Length; i++)
        {
            if (sz[i] < 0 || st[i] < 0) throw new InvalidDataException($"tensor has a negative size or stride ({string.Join(", ", sz)}) / ({string.Join(", ", st)})");
            if (sz[i] == 0) { maxOffset = -1; break; }
            maxOffset += (sz[i] - 1) * st[i];
        }
        if (offset < 0 || maxOffset >= storage.Count)
            throw new InvalidDataException($"tensor of size ({string.Join(", ", sz)}), stride ({string.Join(", ", st)}), offset {offset} reaches past its storage of {storage.Count} elements");
        long count = Npy.CountOf(sz);
        var kind = storage.Kind;
        int outSize = kind.Target switch { NpyElementType.Float64 or NpyElementType.Int64 => 8, NpyElementType.Bool => 1, _ => 4 };
        var data = new byte[checked(count * outSize)];
        var index = new long[sz.Length];
        for (long n = 0; n < count; n++)
        {
            long src = offset;
            for (int i = 0; i < sz.Length; i++) src += index[i] * st[i];
            WriteElement(kind, storage.Bytes.AsSpan((int)(src * kind.Size), kind.Size), data.AsSpan((int)(n * outSize), outSize));
            for (int i = sz.Length - 1; i >= 0; i--)
            {
                if (++index[i] < sz[i]) break;
                index[i] = 0;
            }
        }
        return NpyArray.FromBytes(kind.Target, sz, data);
    }

    /// <summary>One element, converted exactly to the target dtype (half and bfloat16 to float32, small ints to int32).</summary>
    private static void WriteElement(StorageKind kind, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        switch (kind.Name)
        {
            case "HalfStorage":
                BinaryPrimitives.WriteSingleLittleEndian(dst, (float)BinaryPrimitives.ReadHalfLittleEndian(src));
                break;
            case "BFloat16Storage":
                BinaryPrimitives.WriteInt32LittleEndian(dst, BinaryPrimitives.ReadUInt16LittleEndian(src) << 16);
                break;
            case "ShortStorage":
                BinaryPrimitives.WriteInt32LittleEndian(dst, BinaryPrimitives.ReadInt16LittleEndian(src));
                break;
            case "CharStorage":
                BinaryPrimitives.WriteInt32LittleEndian(dst, (sbyte)src[0]);
                break;
            case "ByteStorage":
                BinaryPrimitives.WriteInt32LittleEndian(dst, src[0]);
                break;
            default:
                src.CopyTo(dst);
                break;
        }
    }
}
