using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Sbi.Numpy.Pickle;

/// <summary>A Python global (<c>module.name</c>) met in a pickle, before it is called.</summary>
public sealed record PyGlobal(string Module, string Name)
{
    /// <inheritdoc />
    public override string ToString() => Module + "." + Name;
}

/// <summary>A Python dict or <c>collections.OrderedDict</c> from a pickle; keeps insertion order.
/// Keys are usually strings.</summary>
public sealed class PickleDict : IEnumerable<KeyValuePair<object, object?>>
{
    private readonly List<KeyValuePair<object, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();

    /// <summary>Number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>The value for <paramref name="key"/>.</summary>
    public object? this[object key] => _index.TryGetValue(key, out int i) ? _items[i].Value : throw new KeyNotFoundException($"no key '{key}'");

    /// <summary>Keys in insertion order.</summary>
    public IEnumerable<object> Keys => _items.Select(kv => kv.Key);

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool ContainsKey(object key) => _index.ContainsKey(key);

    /// <summary>Sets <paramref name="key"/> (replacing the value in place if present, as Python does).</summary>
    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    /// <summary>State given to the dict by a BUILD opcode (e.g. a state_dict's <c>_metadata</c>), if any.</summary>
    public object? State { get; internal set; }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A small, safe Python unpickler (protocols 0-4 minus the class-instantiating opcodes). It never runs
/// code: globals become <see cref="PyGlobal"/> values, and calls (REDUCE/NEWOBJ) and persistent ids are
/// handed to the callbacks, which decide what is allowed. Results are .NET values: <c>null</c>, bool,
/// long, <see cref="BigInteger"/> (ints beyond 64 bits), double, string, byte[], <c>object?[]</c> (tuple),
/// <c>List&lt;object?&gt;</c> (list), <see cref="PickleDict"/> (dict), <c>HashSet&lt;object?&gt;</c> (set),
/// or whatever the callbacks return. Malformed input gives <see cref="InvalidDataException"/>.
/// </summary>
public sealed class PickleReader
{
    private readonly Func<PyGlobal, object?[], object?> _call;
    private readonly Func<object?, object?>? _persistentLoad;
    private readonly Action<object?, object?>? _build;

    /// <param name="call">Called for REDUCE/NEWOBJ with the callable and its arguments; throw to refuse.</param>
    /// <param name="persistentLoad">Called for persistent ids (BINPERSID/PERSID); null refuses them.</param>
    /// <param name="build">Called for BUILD on objects other than <see cref="PickleDict"/>; null refuses.</param>
    public PickleReader(Func<PyGlobal, object?[], object?> call, Func<object?, object?>? persistentLoad = null, Action<object?, object?>? build = null)
    {
        _call = call;
        _persistentLoad = persistentLoad;
        _build = build;
    }

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    /// <summary>Unpickles one object from <paramref name="data"/>.</summary>
    public object? Load(byte[] data)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        int pos = 0;

        byte U8() => pos < data.Length ? data[pos++] : throw Truncated();
        ReadOnlySpan<byte> Take(long n)
        {
            if (n < 0 || pos + n > data.Length) throw Truncated();
            var s = data.AsSpan(pos, (int)n);
            pos += (int)n;
            return s;
        }
        string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw Truncated();
            string s = Encoding.Latin1.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }
        object? Pop()
        {
            if (stack.Count == 0) throw Corrupt("stack underflow");
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            if (v is Mark) throw Corrupt("unexpected MARK");
            return v;
        }
        object? Peek() => stack.Count > 0 && stack[^1] is not Mark ? stack[^1] : throw Corrupt("stack underflow");
        List<object?> PopMark()
        {
            int m = stack.FindLastIndex(o => o is Mark);
            if (m < 0) throw Corrupt("MARK not found");
            var items = stack.GetRange(m + 1, stack.Count - m - 1);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        object? Get(long key) => memo.TryGetValue(key, out var v) ? v : throw Corrupt($"memo key {key} not found");
        static object? Tuple(List<object?> items) => items.ToArray();
        object? Call(object? callable, object? args)
        {
            if (callable is not PyGlobal g) throw Corrupt($"call of a non-global {Describe(callable)}");
            if (args is not object?[] a) throw Corrupt($"call of {g} with non-tuple arguments");
            return _call(g, a);
        }
        void SetItems(object? target, List<object?> kv)
        {
            if (target is not PickleDict d) throw Corrupt($"SETITEM on {Describe(target)}");
            if (kv.Count % 2 != 0) throw Corrupt("odd number of items for SETITEMS");
            for (int i = 0; i < kv.Count; i += 2) d.Set(kv[i] ?? throw Corrupt("None dict key"), kv[i + 1]);
        }
        void Append(object? target, List<object?> items)
        {
            if (target is not List<object?> l) throw Corrupt($"APPEND on {Describe(target)}");
            l.AddRange(items);
        }

        while (true)
        {
            byte op = U8();
            switch (op)
            {
                case 0x80: // PROTO
                    {
                        int v = U8();
                        if (v > 5) throw Corrupt($"unsupported pickle protocol {v}");
                        break;
                    }
                case 0x95: Take(8); break; // FRAME: length only, data follows inline
                case (byte)'.': // STOP
                    if (stack.Count != 1) throw Corrupt($"STOP with {stack.Count} items on the stack");
                    return Pop();
                case (byte)'(': stack.Add(Mark.Instance); break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'2': stack.Add(Peek()); break;

                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': stack.Add((long)U8()); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: stack.Add(Long(Take(U8()))); break;
                case 0x8b: stack.Add(Long(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'I':
                    {
                        string s = Line();
                        if (s == "01") stack.Add(true);
                        else if (s == "00") stack.Add(false);
                        else stack.Add(long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) ? l : throw Corrupt($"bad INT '{s}'"));
                        break;
                    }
                case (byte)'L':
                    {
                        string s = Line().TrimEnd('L');
                        var b = BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bi) ? bi : throw Corrupt($"bad LONG '{s}'");
                        stack.Add(b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b);
                        break;
                    }
                case (byte)'F':
                    {
                        string s = Line();
                        stack.Add(double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw Corrupt($"bad FLOAT '{s}'"));
                        break;
                    }

                case (byte)'X': stack.Add(Utf8(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case 0x8c: stack.Add(Utf8(Take(U8()))); break;
                case 0x8d: stack.Add(Utf8(Take(checked((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))))); break;
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break; // py2 str
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(U8()))); break;
                case (byte)'B': stack.Add(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))).ToArray()); break;
                case (byte)'C': stack.Add(Take(U8()).ToArray()); break;
                case 0x8e: stack.Add(Take(checked((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break;
                case 0x96: stack.Add(Take(checked((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break; // BYTEARRAY8
                case (byte)'V': stack.Add(RawUnicodeEscape(Line())); break;
                case (byte)'S': stack.Add(PyStringLiteral(Line())); break;

                case (byte)')': stack.Add(Array.Empty<object?>()); break;
                case (byte)'t': stack.Add(Tuple(PopMark())); break;
                case 0x85: { var a = Pop(); stack.Add(new[] { a }); break; }
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)'l': stack.Add(PopMark()); break;
                case (byte)'a': { var v = Pop(); Append(Peek(), new List<object?> { v }); break; }
                case (byte)'e': { var items = PopMark(); Append(Peek(), items); break; }
                case (byte)'}': stack.Add(new PickleDict()); break;
                case (byte)'d': { var d = new PickleDict(); SetItems(d, PopMark()); stack.Add(d); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Peek(), new List<object?> { k, v }); break; }
                case (byte)'u': { var items = PopMark(); SetItems(Peek(), items); break; }
                case 0x8f: stack.Add(new HashSet<object?>()); break;
                case 0x90:
                    {
                        var items = PopMark();
                        if (Peek() is not HashSet<object?> set) throw Corrupt("ADDITEMS on a non-set");
                        foreach (var i in items) set.Add(i);
                        break;
                    }
                case 0x91: stack.Add(new HashSet<object?>(PopMark())); break;

                case (byte)'p': memo[long.Parse(Line(), CultureInfo.InvariantCulture)] = Peek(); break;
                case (byte)'q': memo[U8()] = Peek(); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case 0x94: memo[memo.Count] = Peek(); break;
                case (byte)'g': stack.Add(Get(long.Parse(Line(), CultureInfo.InvariantCulture))); break;
                case (byte)'h': stack.Add(Get(U8())); break;
                case (byte)'j': stack.Add(Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;

                case (byte)'c':
                    {
                        string module = Line();
                        string name = Line();
                        stack.Add(new PyGlobal(module, name));
                        break;
                    }
                case 0x93:
                    {
                        var name = Pop() as string ?? throw Corrupt("STACK_GLOBAL name is not a string");
                        var module = Pop() as string ?? throw Corrupt("STACK_GLOBAL module is not a string");
                        stack.Add(new PyGlobal(module, name));
                        break;
                    }
                case (byte)'R': { var args = Pop(); var f = Pop(); stack.Add(Call(f, args)); break; }
                case 0x81: { var args = Pop(); var cls = Pop(); stack.Add(Call(cls, args)); break; }
                case 0x92:
                    {
                        var kwargs = Pop();
                        var args = Pop();
                        var cls = Pop();
                        if (kwargs is PickleDict kd && kd.Count > 0) throw Corrupt($"NEWOBJ_EX with keyword arguments for {Describe(cls)}");
                        stack.Add(Call(cls, args));
                        break;
                    }
                case (byte)'b':
                    {
                        var state = Pop();
                        var obj = Peek();
                        if (obj is PickleDict pd) pd.State = state;
                        else if (_build != null) _build(obj, state);
                        else throw Corrupt($"BUILD (set state) on {Describe(obj)} is not supported");
                        break;
                    }
                case (byte)'Q':
                    {
                        var pid = Pop();
                        if (_persistentLoad == null) throw Corrupt("persistent id found, but this pickle kind has none");
                        stack.Add(_persistentLoad(pid));
                        break;
                    }
                case (byte)'P':
                    {
                        var pid = Line();
                        if (_persistentLoad == null) throw Corrupt("persistent id found, but this pickle kind has none");
                        stack.Add(_persistentLoad(pid));
                        break;
                    }
                default:
                    throw Corrupt($"unsupported pickle opcode 0x{op:x2} at offset {pos - 1}");
            }
        }
    }

    private static object Long(ReadOnlySpan<byte> b)
    {
        if (b.Length == 0) return 0L;
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    private static string Utf8(ReadOnlySpan<byte> b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException e) { throw Corrupt("invalid UTF-8 in a string: " + e.Message); }
    }

    private static string RawUnicodeEscape(string s)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == 'u' || s[i + 1] == 'U'))
            {
                int n = s[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + n <= s.Length && int.TryParse(s.AsSpan(i + 2, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp))
                {
                    sb.Append(char.ConvertFromUtf32(cp));
                    i += 1 + n;
                    continue;
                }
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static string PyStringLiteral(string s)
    {
        s = s.Trim();
        if (s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0]) s = s[1..^1];
        return System.Text.RegularExpressions.Regex.Unescape(s);
    }

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        PyGlobal g => g.ToString(),
        _ => o.GetType().Name,
    };

    private static InvalidDataException Truncated() => new("pickle data ends early (truncated or corrupt)");

    private static InvalidDataException Corrupt(string what) => new("malformed pickle: " + what);
}
