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
    private readonly Dictionary<object, int> _index = new(PickleKeyComparer.Instance);

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
/// A small, safe Python unpickler (protocols 0-5 minus the class-instantiating and out-of-band buffer opcodes). It
/// never runs code: globals become <see cref="PyGlobal"/> values, and calls (REDUCE/NEWOBJ) and persistent ids are
/// handed to the callbacks, which decide what is allowed. Results are .NET values: <c>null</c>, bool,
/// long, <see cref="BigInteger"/> (ints beyond 64 bits), double, string, byte[], <c>object?[]</c> (tuple),
/// <c>List&lt;object?&gt;</c> (list), <see cref="PickleDict"/> (dict), <c>HashSet&lt;object?&gt;</c> (set),
/// or whatever the callbacks return. Reading is iterative (no recursion a file can drive) and bounded by
/// <see cref="ReadLimits"/>: values built, nesting depth and shared-reference expansion of the result, integer
/// digits, and bytes of strings (the load's byte budget); a result that refers to itself is refused. Malformed input
/// gives <see cref="SbiDataException"/>, a limit <see cref="ReadLimitException"/>.
/// </summary>
public sealed class PickleReader
{
    private readonly Func<PyGlobal, object?[], object?> _call;
    private readonly Func<object?, object?>? _persistentLoad;
    private readonly Action<object?, object?>? _build;
    private readonly ReadLimits _limits;
    private readonly string? _source;
    private ReadBudget? _budget;

    /// <param name="call">Called for REDUCE/NEWOBJ with the callable and its arguments; throw to refuse.</param>
    /// <param name="persistentLoad">Called for persistent ids (BINPERSID/PERSID); null refuses them.</param>
    /// <param name="build">Called for BUILD on objects other than <see cref="PickleDict"/>; null refuses.</param>
    /// <param name="limits">The bounds of a load; null: <see cref="ReadLimits.Default"/>.</param>
    /// <param name="sourceName">Names the pickle (a file, a member) in error messages.</param>
    public PickleReader(Func<PyGlobal, object?[], object?> call, Func<object?, object?>? persistentLoad = null, Action<object?, object?>? build = null,
        ReadLimits? limits = null, string? sourceName = null)
    {
        _call = call;
        _persistentLoad = persistentLoad;
        _build = build;
        _limits = (limits ?? ReadLimits.Default).Validated();
        _source = sourceName;
    }

    /// <summary>Shares the byte budget of an enclosing load (a torch file's), instead of one sized by the pickle.</summary>
    internal PickleReader WithBudget(ReadBudget budget)
    {
        _budget = budget;
        return this;
    }

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    /// <summary>Unpickles one object from <paramref name="data"/>.</summary>
    /// <exception cref="SbiDataException">malformed or unsupported pickle data, or a refused object.</exception>
    /// <exception cref="ReadLimitException">the pickle goes over one of the reader's limits.</exception>
    public object? Load(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var budget = _budget ?? new ReadBudget(_limits, data.Length, _source ?? "<pickle>");
        int pos = 0;
        try
        {
            var result = Run(data, budget, ref pos);
            PickleGraphCheck.Check(result, _limits, _source);
            return result;
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or OverflowException or FormatException
                                      or IndexOutOfRangeException or KeyNotFoundException)
        {
            // a safety net: whatever a hostile opcode sequence provokes is reported as bad data, never as a crash
            throw new SbiDataException(_source, $"malformed pickle near offset {pos}: {e.Message}", e);
        }
    }

    private object? Run(byte[] data, ReadBudget budget, ref int posRef)
    {
        var stack = new List<object?>();
        var marks = new List<int>(); // stack indices of the MARKs, so popping to a mark does not scan the stack
        var memo = new Dictionary<long, object?>(PickleKeyComparer.Instance);
        long values = 0;
        int pos = 0;

        void Count(long n)
        {
            values += n;
            if (values > _limits.MaxPickleValues)
                throw new ReadLimitException(_source, "the number of values the pickle builds", nameof(ReadLimits.MaxPickleValues), $"more than {_limits.MaxPickleValues}", _limits.MaxPickleValues);
        }
        void Push(object? v)
        {
            Count(1);
            stack.Add(v);
        }
        byte U8() => pos < data.Length ? data[pos++] : throw Truncated();
        ReadOnlySpan<byte> Take(long n)
        {
            if (n < 0 || n > data.Length - pos) throw Truncated();
            var s = data.AsSpan(pos, (int)n);
            pos += (int)n;
            return s;
        }
        long Size8() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8)) is var u && u <= int.MaxValue ? (long)u : throw Truncated();
        string Text(ReadOnlySpan<byte> b, bool utf8)
        {
            budget.Charge(2L * b.Length, "a pickled string");
            return utf8 ? Utf8(b) : Encoding.Latin1.GetString(b);
        }
        byte[] Bytes(ReadOnlySpan<byte> b)
        {
            budget.Charge(b.Length, "a pickled bytes object");
            return b.ToArray();
        }
        string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw Truncated();
            var s = Text(data.AsSpan(pos, end - pos), utf8: false);
            pos = end + 1;
            return s;
        }
        long LineKey()
        {
            string s = Line();
            return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long k) ? k : throw Corrupt($"bad memo key '{Short(s)}'");
        }
        object Integer(ReadOnlySpan<byte> b)
        {
            // 8 bits are log10(256) = 2.408 decimal digits
            long digits = (long)Math.Ceiling(b.Length * 2.408);
            if (digits > _limits.MaxIntegerDigits)
                throw new ReadLimitException(_source, "the size of a pickled integer", nameof(ReadLimits.MaxIntegerDigits), $"about {digits} digits", _limits.MaxIntegerDigits);
            return Long(b);
        }
        object? Pop()
        {
            if (stack.Count == 0) throw Corrupt("stack underflow");
            var v = stack[^1];
            if (v is Mark) throw Corrupt("unexpected MARK");
            stack.RemoveAt(stack.Count - 1);
            return v;
        }
        object? Peek() => stack.Count > 0 && stack[^1] is not Mark ? stack[^1] : throw Corrupt("stack underflow");
        List<object?> PopMark()
        {
            if (marks.Count == 0) throw Corrupt("MARK not found");
            int m = marks[^1];
            marks.RemoveAt(marks.Count - 1);
            var items = stack.GetRange(m + 1, stack.Count - m - 1);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        object? Get(long key) => memo.TryGetValue(key, out var v) ? v : throw Corrupt($"memo key {key} not found");
        object?[] Tuple(List<object?> items)
        {
            Count(items.Count);
            return items.ToArray();
        }
        object? Call(object? callable, object? args)
        {
            if (callable is not PyGlobal g) throw Corrupt($"call of a non-global {Describe(callable)}");
            if (args is not object?[] a) throw Corrupt($"call of {g} with non-tuple arguments");
            var r = _call(g, a);
            if (r is PickleDict d) Count(2L * d.Count);
            return r;
        }
        void SetItems(object? target, List<object?> kv)
        {
            if (target is not PickleDict d) throw Corrupt($"SETITEM on {Describe(target)}");
            if (kv.Count % 2 != 0) throw Corrupt("odd number of items for SETITEMS");
            Count(kv.Count);
            for (int i = 0; i < kv.Count; i += 2) d.Set(kv[i] ?? throw Corrupt("None dict key"), kv[i + 1]);
        }
        void Append(object? target, List<object?> items)
        {
            if (target is not List<object?> l) throw Corrupt($"APPEND on {Describe(target)}");
            Count(items.Count);
            l.AddRange(items);
        }
        HashSet<object?> NewSet(List<object?> items)
        {
            Count(items.Count);
            return new HashSet<object?>(items, PickleKeyComparer.Instance);
        }

        while (true)
        {
            posRef = pos;
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
                case (byte)'(':
                    marks.Add(stack.Count);
                    Push(Mark.Instance);
                    break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'2': Push(Peek()); break;

                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': Push((long)U8()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: Push(Integer(Take(U8()))); break;
                case 0x8b: Push(Integer(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'I':
                    {
                        string s = Line();
                        if (s == "01") Push(true);
                        else if (s == "00") Push(false);
                        else Push(long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) ? l : throw Corrupt($"bad INT '{Short(s)}'"));
                        break;
                    }
                case (byte)'L':
                    {
                        string s = Line().TrimEnd('L');
                        // decimal parsing is superlinear in the digits: bound them before parsing
                        if (s.Length > _limits.MaxIntegerDigits + 1)
                            throw new ReadLimitException(_source, "the size of a pickled integer", nameof(ReadLimits.MaxIntegerDigits), $"{s.Length} digits", _limits.MaxIntegerDigits);
                        var b = BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bi) ? bi : throw Corrupt($"bad LONG '{Short(s)}'");
                        Push(b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b);
                        break;
                    }
                case (byte)'F':
                    {
                        string s = Line();
                        Push(double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw Corrupt($"bad FLOAT '{Short(s)}'"));
                        break;
                    }

                case (byte)'X': Push(Text(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))), utf8: true)); break;
                case 0x8c: Push(Text(Take(U8()), utf8: true)); break;
                case 0x8d: Push(Text(Take(Size8()), utf8: true)); break;
                case (byte)'T': Push(Text(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))), utf8: false)); break; // py2 str
                case (byte)'U': Push(Text(Take(U8()), utf8: false)); break;
                case (byte)'B': Push(Bytes(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case (byte)'C': Push(Bytes(Take(U8()))); break;
                case 0x8e: Push(Bytes(Take(Size8()))); break;
                case 0x96: Push(Bytes(Take(Size8()))); break; // BYTEARRAY8
                case (byte)'V': Push(RawUnicodeEscape(Line())); break;
                case (byte)'S': Push(PyStringLiteral(Line())); break;

                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'t': { var t = Tuple(PopMark()); Push(t); break; }
                case 0x85: { var a = Pop(); Push(Tuple(new List<object?> { a })); break; }
                case 0x86: { var b = Pop(); var a = Pop(); Push(Tuple(new List<object?> { a, b })); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(Tuple(new List<object?> { a, b, c })); break; }
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': { var items = PopMark(); Count(items.Count); Push(items); break; }
                case (byte)'a': { var v = Pop(); Append(Peek(), new List<object?> { v }); break; }
                case (byte)'e': { var items = PopMark(); Append(Peek(), items); break; }
                case (byte)'}': Push(new PickleDict()); break;
                case (byte)'d': { var d = new PickleDict(); SetItems(d, PopMark()); Push(d); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Peek(), new List<object?> { k, v }); break; }
                case (byte)'u': { var items = PopMark(); SetItems(Peek(), items); break; }
                case 0x8f: Push(new HashSet<object?>(PickleKeyComparer.Instance)); break;
                case 0x90:
                    {
                        var items = PopMark();
                        if (Peek() is not HashSet<object?> set) throw Corrupt("ADDITEMS on a non-set");
                        Count(items.Count);
                        foreach (var i in items) set.Add(i);
                        break;
                    }
                case 0x91: { var set = NewSet(PopMark()); Push(set); break; }

                case (byte)'p': memo[LineKey()] = Peek(); break;
                case (byte)'q': memo[U8()] = Peek(); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case 0x94: memo[memo.Count] = Peek(); break;
                case (byte)'g': Push(Get(LineKey())); break;
                case (byte)'h': Push(Get(U8())); break;
                case (byte)'j': Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;

                case (byte)'c':
                    {
                        string module = Line();
                        string name = Line();
                        Push(new PyGlobal(module, name));
                        break;
                    }
                case 0x93:
                    {
                        var name = Pop() as string ?? throw Corrupt("STACK_GLOBAL name is not a string");
                        var module = Pop() as string ?? throw Corrupt("STACK_GLOBAL module is not a string");
                        Push(new PyGlobal(module, name));
                        break;
                    }
                case (byte)'R': { var args = Pop(); var f = Pop(); Push(Call(f, args)); break; }
                case 0x81: { var args = Pop(); var cls = Pop(); Push(Call(cls, args)); break; }
                case 0x92:
                    {
                        var kwargs = Pop();
                        var args = Pop();
                        var cls = Pop();
                        if (kwargs is PickleDict kd && kd.Count > 0) throw Corrupt($"NEWOBJ_EX with keyword arguments for {Describe(cls)}");
                        Push(Call(cls, args));
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
                        Push(_persistentLoad(pid));
                        break;
                    }
                case (byte)'P':
                    {
                        var pid = Line();
                        if (_persistentLoad == null) throw Corrupt("persistent id found, but this pickle kind has none");
                        Push(_persistentLoad(pid));
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
        // (object) first: without it the conditional's type is BigInteger and a long would come back boxed as one
        return v >= long.MinValue && v <= long.MaxValue ? (object)(long)v : v;
    }

    private string Utf8(ReadOnlySpan<byte> b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException e) { throw Corrupt("invalid UTF-8 in a string: " + e.Message); }
    }

    private string RawUnicodeEscape(string s)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == 'u' || s[i + 1] == 'U'))
            {
                int n = s[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + n <= s.Length && int.TryParse(s.AsSpan(i + 2, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp))
                {
                    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) throw Corrupt($"invalid code point \\U{cp:x8} in a UNICODE string");
                    sb.Append(char.ConvertFromUtf32(cp));
                    i += 1 + n;
                    continue;
                }
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private string PyStringLiteral(string s)
    {
        s = s.Trim();
        if (s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0]) s = s[1..^1];
        try { return System.Text.RegularExpressions.Regex.Unescape(s); }
        catch (ArgumentException e) { throw Corrupt($"bad STRING literal: {e.Message}"); }
    }

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        PyGlobal g => g.ToString(),
        _ => o.GetType().Name,
    };

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private SbiDataException Truncated() => new(_source, "pickle data ends early (truncated or corrupt)");

    private SbiDataException Corrupt(string what) => new(_source, "malformed pickle: " + what);
}
