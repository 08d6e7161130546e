using System.IO.Compression;
using Sbi.Compat.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Compat;

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
/// Tensors are returned on the CPU, contiguous, not requiring grad.
/// </remarks>
public static class TorchPt
{
    /// <summary>Loads the object saved in <paramref name="path"/>. Result types: <see cref="Tensor"/>,
    /// <c>object?[]</c> (tuple), <c>List&lt;object?&gt;</c> (list), <see cref="PickleDict"/> (dict), string,
    /// long, double, bool, null. On error no tensor is left allocated.</summary>
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

            var created = new List<Tensor>();
            var storages = new Dictionary<string, Tensor>();
            try
            {
                byte[] pkl = ReadEntry(pkls[0], sourceName);
                object? StorageFor(object? pid) => LoadStorage(pid, zip, prefix, sourceName, storages);
                Tensor Track(Tensor t) { created.Add(t); return t; }
                var reader = new PickleReader((g, args) => Call(g, args, sourceName, Track), StorageFor);
                object? result = reader.Load(pkl);
                return result;
            }
            catch (Exception e)
            {
                foreach (var t in created) t.Dispose();
                if (e is InvalidDataException ide && !ide.Message.StartsWith(sourceName, StringComparison.Ordinal))
                    throw new InvalidDataException($"{sourceName}: {ide.Message}", ide);
                throw;
            }
            finally
            {
                foreach (var s in storages.Values) s.Dispose();
            }
        }
    }

    /// <summary>Loads a file that holds one tensor (<c>torch.save(t, path)</c>).</summary>
    public static Tensor LoadTensor(string path)
    {
        var o = Load(path);
        if (o is Tensor t) return t;
        var message = $"{path}: expected one tensor, found {Kind(o)}";
        DisposeAll(o);
        throw new InvalidDataException(message);
    }

    /// <summary>Loads a file that holds a tuple or list of tensors (<c>torch.save((theta, x), path)</c>).</summary>
    public static Tensor[] LoadTensors(string path)
    {
        var o = Load(path);
        IEnumerable<object?>? items = o switch { object?[] a => a, List<object?> l => l, _ => null };
        if (items != null && items.All(i => i is Tensor)) return items.Cast<Tensor>().ToArray();
        var message = $"{path}: expected a tuple or list of tensors, found {Kind(o)}";
        DisposeAll(o);
        throw new InvalidDataException(message);
    }

    /// <summary>Loads a file that holds a dict of tensors with string keys (a state_dict, or
    /// <c>{"theta": ..., "x": ...}</c>), in the file's key order.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> LoadTensorDict(string path)
    {
        var o = Load(path);
        if (o is PickleDict d && d.All(kv => kv.Key is string && kv.Value is Tensor))
            return d.Select(kv => new KeyValuePair<string, Tensor>((string)kv.Key, (Tensor)kv.Value!)).ToList();
        var message = $"{path}: expected a dict of string keys to tensors, found {Kind(o)}";
        DisposeAll(o);
        throw new InvalidDataException(message);
    }

    /// <summary>Disposes every tensor inside a <see cref="Load(string)"/> result.</summary>
    public static void DisposeAll(object? o)
    {
        switch (o)
        {
            case Tensor t: t.Dispose(); break;
            case object?[] a: foreach (var i in a) DisposeAll(i); break;
            case List<object?> l: foreach (var i in l) DisposeAll(i); break;
            case PickleDict d: foreach (var kv in d) DisposeAll(kv.Value); break;
        }
    }

    internal static string Kind(object? o) => o switch
    {
        null => "None",
        Tensor t => $"a tensor of shape ({string.Join(", ", t.shape)})",
        object?[] a => $"a tuple of {a.Length} ({string.Join(", ", a.Select(Short))})",
        List<object?> l => $"a list of {l.Count} ({string.Join(", ", l.Take(5).Select(Short))}{(l.Count > 5 ? ", ..." : "")})",
        PickleDict d => $"a dict with keys ({string.Join(", ", d.Keys.Take(8).Select(k => k is string s ? "'" + s + "'" : k.ToString()))}{(d.Count > 8 ? ", ..." : "")})",
        _ => Short(o),
    };

    private static string Short(object? o) => o switch
    {
        null => "None",
        Tensor => "tensor",
        object?[] => "tuple",
        List<object?> => "list",
        PickleDict => "dict",
        string => "str",
        _ => o.GetType().Name,
    };

    // ------------------------------------------------------------------ writing

    /// <summary>Writes <paramref name="value"/> in PyTorch's zip format, readable by <c>torch.load</c>
    /// (torch >= 1.6). Accepted values: <see cref="Tensor"/> (float32/64, float16, bfloat16, int8/16/32/64,
    /// uint8, bool; written as a contiguous CPU copy), <c>object?[]</c> (written as a tuple), lists (any
    /// <see cref="System.Collections.IList"/>), <see cref="PickleDict"/> or sequences of
    /// <c>KeyValuePair&lt;string, Tensor&gt;</c> (written as dicts, in order), string, int/long,
    /// float/double, bool and null. Tensors sharing memory are written as separate copies.</summary>
    /// <exception cref="ArgumentException">a value of another type, or an unsupported tensor dtype.</exception>
    public static void Save(string path, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string archive = System.IO.Path.GetFileNameWithoutExtension(path);
        if (string.IsNullOrEmpty(archive) || archive.Any(c => c == '/' || c == '\\' || c > 0x7e || c < 0x20)) archive = "archive";
        var storages = new List<Tensor>();
        try
        {
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
            for (int i = 0; i < storages.Count; i++)
                Add("data/" + i, storages[i].numel() == 0 ? ReadOnlySpan<byte>.Empty : storages[i].bytes);
            Add("version", "3\n"u8);
        }
        finally
        {
            foreach (var s in storages) s.Dispose();
        }
    }

    private static void WriteValue(PickleWriter w, object? v, List<Tensor> storages)
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
            case Tensor t: WriteTensor(w, t, storages); break;
            case object?[] tuple:
                w.Tuple(tuple.Length, () => { foreach (var o in tuple) WriteValue(w, o, storages); });
                break;
            case PickleDict pd:
                WriteDict(w, pd.Select(kv => new KeyValuePair<object, object?>(kv.Key, kv.Value)), storages);
                break;
            case IEnumerable<KeyValuePair<string, Tensor>> kvs:
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
                throw new ArgumentException($"cannot write a value of type {v.GetType().Name} to a torch file; use tensors, object?[] (tuple), lists, PickleDict or KeyValuePair<string, Tensor> sequences, strings, numbers, bools, null");
        }
    }

    private static void WriteDict(PickleWriter w, IEnumerable<KeyValuePair<object, object?>> items, List<Tensor> storages)
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

    private static void WriteTensor(PickleWriter w, Tensor t, List<Tensor> storages)
    {
        string storageType = StorageTypes.FirstOrDefault(kv => kv.Value == t.dtype).Key
            ?? throw new ArgumentException($"tensor dtype {t.dtype} cannot be written to a torch file");
        Tensor c;
        using (var scope = torch.NewDisposeScope())
        {
            c = t.detach().cpu().contiguous().clone();
            scope.MoveToOuter(c);
        }
        storages.Add(c);
        string key = (storages.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        long[] shape = c.shape;
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
        w.Int(c.numel());
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

    private static readonly Dictionary<string, ScalarType> StorageTypes = new()
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["DoubleStorage"] = ScalarType.Float64,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
    };

    private sealed record StorageType(ScalarType DType);

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

    private static Tensor LoadStorage(object? pid, ZipArchive zip, string prefix, string sourceName, Dictionary<string, Tensor> cache)
    {
        if (pid is not object?[] { Length: 5 } p || p[0] is not "storage")
            throw new InvalidDataException($"unsupported persistent id {TorchPtKind(pid)}; expected ('storage', type, key, location, numel)");
        if (p[1] is not PyGlobal { Module: "torch" } stg || !StorageTypes.TryGetValue(stg.Name, out var dtype))
            throw new InvalidDataException($"persistent id has storage type {PickleReader.Describe(p[1])}; expected one of torch.{string.Join(", torch.", StorageTypes.Keys)}");
        var st = new StorageType(dtype);
        if (p[2] is not string key) throw new InvalidDataException("persistent id storage key is not a string");
        if (p[4] is not long numel || numel < 0) throw new InvalidDataException("persistent id storage size is not a non-negative int");
        if (cache.TryGetValue(key, out var cached))
        {
            if (cached.dtype != st.DType) throw new InvalidDataException($"storage '{key}' is used with two dtypes ({cached.dtype}, {st.DType}), which is not supported");
            return cached;
        }
        var entry = zip.GetEntry(prefix + "data/" + key)
            ?? throw new InvalidDataException($"{sourceName}: storage member '{prefix}data/{key}' is missing (truncated or corrupt file)");
        long elem = ElementSize(st.DType);
        if (entry.Length < numel * elem)
            throw new InvalidDataException($"{sourceName}: storage member '{entry.FullName}' has {entry.Length} bytes; {numel} elements of {st.DType} need {numel * elem}");
        byte[] bytes = ReadEntry(entry, sourceName);
        var t = torch.empty(new[] { numel }, st.DType, torch.CPU);
        if (numel > 0) t.bytes = bytes.AsSpan(0, (int)(numel * elem));
        cache[key] = t;
        return t;
    }

    private static string TorchPtKind(object? o) => o is object?[] a ? "(" + string.Join(", ", a.Select(x => x is string s ? "'" + s + "'" : PickleReader.Describe(x))) + ")" : PickleReader.Describe(o);

    private static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static object? Call(PyGlobal g, object?[] args, string sourceName, Func<Tensor, Tensor> track)
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
                return track(RebuildTensor(args));
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                return args.Length >= 1 && args[0] is Tensor data ? data : throw new InvalidDataException("_rebuild_parameter without a tensor");
            case ("torch._tensor", "_rebuild_from_type_v2"):
                {
                    // (func, type, args, state): used for tensors whose Python object carries attributes
                    if (args.Length != 4 || args[0] is not PyGlobal f || args[2] is not object?[] fargs)
                        throw new InvalidDataException("malformed _rebuild_from_type_v2 call");
                    if (args[1] is PyGlobal tp && !(tp.Module is "torch" && tp.Name is "Tensor") && !(tp.Module == "torch.nn.parameter" && tp.Name == "Parameter"))
                        throw new InvalidDataException($"tensor subclass {tp} is not supported");
                    return Call(f, fargs, sourceName, track);
                }
        }
        throw new InvalidDataException($"unsupported Python object {g} (only tensors, tuples, lists, dicts, strings and numbers are read; save plain tensors, e.g. torch.save((theta, x), path))");
    }

    private static Tensor RebuildTensor(object?[] args)
    {
        if (args.Length < 4 || args[0] is not Tensor storage || args[1] is not long offset
            || args[2] is not object?[] size || args[3] is not object?[] stride
            || size.Any(s => s is not long) || stride.Any(s => s is not long) || size.Length != stride.Length)
            throw new InvalidDataException("malformed _rebuild_tensor_v2 arguments; expected (storage, offset, size, stride, ...)");
        long[] sz = size.Select(s => (long)s!).ToArray();
        long[] st = stride.Select(s => (long)s!).ToArray();
        // bounds check so a corrupt file cannot make as_strided read outside the storage
        long maxOffset = offset;
        for (int i = 0; i < sz.Length; i++)
        {
            if (sz[i] < 0 || st[i] < 0) throw new InvalidDataException($"tensor has a negative size or stride ({string.Join(", ", sz)}) / ({string.Join(", ", st)})");
            if (sz[i] == 0) { maxOffset = -1; break; }
            maxOffset += (sz[i] - 1) * st[i];
        }
        if (offset < 0 || maxOffset >= storage.shape[0])
            throw new InvalidDataException($"tensor of size ({string.Join(", ", sz)}), stride ({string.Join(", ", st)}), offset {offset} reaches past its storage of {storage.shape[0]} elements");
        using var view = storage.as_strided(sz, st, offset);
        var result = torch.empty(sz, storage.dtype, torch.CPU);
        result.copy_(view);
        return result;
    }
}
