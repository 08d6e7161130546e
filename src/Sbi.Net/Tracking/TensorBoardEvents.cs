using System.Buffers.Binary;
using System.Text;
using Sbi.Numpy;

namespace Sbi.Tracking;

/// <summary>
/// Reads TensorBoard event files back without TensorBoard: the TFRecord framing (a little-endian uint64 length, its
/// masked CRC-32C, the bytes, their masked CRC-32C; both CRCs are checked) and the <c>Event</c> protocol buffer
/// (tensorboard/compat/proto/event.proto and summary.proto: wall time, step, file version, summary values with
/// simple values, "scalars" tensors, text tensors and images). A log directory is read the way TensorBoard reads one
/// run: every file directly in it whose name contains "tfevents", in ordinal name order; subfolders are other runs.
/// <code>
/// var scalars = TensorBoardEvents.ReadScalars(trainer.Tracker.LogDir!);
/// foreach (var p in scalars["validation_loss"]) Console.WriteLine($"{p.Step} {p.Value}");
/// </code>
/// A final record cut short (a writer still appending, or killed mid-record) ends the file quietly, as in
/// TensorBoard's reader; a CRC mismatch or a malformed message is a <see cref="SbiDataException"/> naming the file
/// and the byte offset.
/// </summary>
public static class TensorBoardEvents
{
    private const int HeaderBytes = 12, FooterBytes = 4;

    /// <summary>The event files of one run, in the order TensorBoard reads them.</summary>
    /// <exception cref="ArgumentException">The folder does not exist or holds no event file.</exception>
    public static IReadOnlyList<string> EventFiles(string logDir)
    {
        if (string.IsNullOrWhiteSpace(logDir)) throw new ArgumentException($"logDir must name a TensorBoard log directory; got '{logDir}'.", nameof(logDir));
        if (File.Exists(logDir)) return new[] { logDir };
        if (!Directory.Exists(logDir)) throw new ArgumentException($"the TensorBoard log directory '{logDir}' does not exist.", nameof(logDir));
        var files = Directory.GetFiles(logDir).Where(f => Path.GetFileName(f).Contains("tfevents", StringComparison.Ordinal))
                             .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            var runs = Directory.GetDirectories(logDir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();
            throw new ArgumentException($"the TensorBoard log directory '{logDir}' holds no event file (events.out.tfevents.*)" +
                (runs.Count > 0 ? $"; its subfolders are runs of their own: {string.Join(", ", runs.Take(10))}{(runs.Count > 10 ? ", ..." : "")}." : "."),
                nameof(logDir));
        }
        return files;
    }

    /// <summary>Every event of the run in <paramref name="logDir"/> (or of one event file), in file and record order.</summary>
    public static IReadOnlyList<TensorBoardEvent> ReadEvents(string logDir)
        => EventFiles(logDir).SelectMany(ReadFile).ToList();

    /// <summary>
    /// The scalar series of the run: per tag (ordinal order), its points in the order written. This is what sbi's
    /// <c>plot_summary</c> reads through TensorBoard's <c>EventAccumulator</c> (sbi/analysis/tensorboard_output.py).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<ScalarPoint>> ReadScalars(string logDir)
    {
        var byTag = new Dictionary<string, List<ScalarPoint>>(StringComparer.Ordinal);
        foreach (var e in ReadEvents(logDir))
            foreach (var v in e.Values)
                if (v.Scalar is { } value)
                {
                    if (!byTag.TryGetValue(v.Tag, out var list)) byTag[v.Tag] = list = new List<ScalarPoint>();
                    list.Add(new ScalarPoint(e.Step, value, e.WallTime));
                }
        return new SortedDictionary<string, IReadOnlyList<ScalarPoint>>(byTag.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<ScalarPoint>)kv.Value),
                                                                         StringComparer.Ordinal);
    }

    /// <summary>One scalar series of the run, with sbi's error for a tag that is not there (it lists the valid tags).</summary>
    /// <exception cref="ArgumentException">No scalar was logged under <paramref name="tag"/>.</exception>
    public static IReadOnlyList<ScalarPoint> ReadScalars(string logDir, string tag)
    {
        var all = ReadScalars(logDir);
        if (tag is null || !all.TryGetValue(tag, out var series))
            throw new ArgumentException($"'{tag}' is not a scalar tag of the TensorBoard log directory '{logDir}'. Valid tags are: " +
                                        $"[{string.Join(", ", all.Keys.Select(k => "'" + k + "'"))}].", nameof(tag));
        return series;
    }

    /// <summary>The text values of the run (e.g. <c>params/&lt;name&gt;/text_summary</c>): per tag, (step, text) in the order written.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(long Step, string Text)>> ReadTexts(string logDir)
    {
        var byTag = new SortedDictionary<string, List<(long, string)>>(StringComparer.Ordinal);
        foreach (var e in ReadEvents(logDir))
            foreach (var v in e.Values)
                if (v.Text is { } text)
                {
                    if (!byTag.TryGetValue(v.Tag, out var list)) byTag[v.Tag] = list = new List<(long, string)>();
                    list.Add((e.Step, text));
                }
        return new SortedDictionary<string, IReadOnlyList<(long Step, string Text)>>(
            byTag.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<(long Step, string Text)>)kv.Value), StringComparer.Ordinal);
    }

    /// <summary>The events of one file. The file may be open for appending by a writer.</summary>
    public static IReadOnlyList<TensorBoardEvent> ReadFile(string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        byte[] bytes;
        using (var f = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[f.Length];
            bytes = bytes[..f.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false)];
        }
        var events = new List<TensorBoardEvent>();
        long pos = 0;
        while (bytes.Length - pos >= HeaderBytes)
        {
            var header = bytes.AsSpan((int)pos, HeaderBytes);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            if (Crc32C.Masked(header[..8]) != lengthCrc)
                throw new SbiDataException(file, $"record at byte {pos}: the length's masked CRC-32C is 0x{lengthCrc:x8}, expected 0x{Crc32C.Masked(header[..8]):x8}; not a TensorBoard event file or corrupted.");
            if (length > (ulong)(bytes.Length - pos - HeaderBytes - FooterBytes)) break;   // cut short: a writer still appending
            var data = bytes.AsSpan((int)(pos + HeaderBytes), (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)(pos + HeaderBytes + (long)length), FooterBytes));
            if (Crc32C.Masked(data) != dataCrc)
                throw new SbiDataException(file, $"record at byte {pos}: the data's masked CRC-32C is 0x{dataCrc:x8}, expected 0x{Crc32C.Masked(data):x8}; the file is corrupted.");
            try { events.Add(DecodeEvent(file, data)); }
            catch (FormatException e) { throw new SbiDataException(file, $"record at byte {pos} is not a valid Event message: {e.Message}", e); }
            pos += HeaderBytes + (long)length + FooterBytes;
        }
        return events;
    }

    private static TensorBoardEvent DecodeEvent(string file, ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var values = new List<TensorBoardValue>();
        while (r.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 1): wallTime = r.Double(); break;
                case (2, 0): step = (long)r.Varint(); break;
                case (3, 2): version = Encoding.UTF8.GetString(r.Bytes()); break;
                case (5, 2): DecodeSummary(r.Bytes(), values); break;
                default: r.Skip(wire); break;
            }
        }
        return new TensorBoardEvent(file, wallTime, step, version, values);
    }

    private static void DecodeSummary(ReadOnlySpan<byte> data, List<TensorBoardValue> values)
    {
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2) values.Add(DecodeValue(r.Bytes()));
            else r.Skip(wire);
        }
    }

    private static TensorBoardValue DecodeValue(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        string tag = "";
        string? plugin = null;
        float? simple = null;
        TensorBoardImage? image = null;
        Tensor? tensor = null;
        while (r.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): tag = Encoding.UTF8.GetString(r.Bytes()); break;
                case (2, 5): simple = r.Float(); break;
                case (4, 2): image = DecodeImage(r.Bytes()); break;
                case (8, 2): tensor = DecodeTensor(r.Bytes()); break;
                case (9, 2): plugin = DecodePluginName(r.Bytes()); break;
                default: r.Skip(wire); break;
            }
        }
        double? scalar = simple;
        if (scalar is null && plugin == "scalars" && tensor is { Numbers.Count: 1 }) scalar = tensor.Numbers[0];
        string? text = tensor is { Strings.Count: > 0 } ? string.Join("\n", tensor.Strings) : null;
        return new TensorBoardValue(tag, plugin, scalar, text, image);
    }

    private static string? DecodePluginName(ReadOnlySpan<byte> metadata)
    {
        var r = new ProtoReader(metadata);
        string? name = null;
        while (r.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2)
            {
                var p = new ProtoReader(r.Bytes());
                while (p.Next(out int f, out int w))
                    if (f == 1 && w == 2) name = Encoding.UTF8.GetString(p.Bytes());
                    else p.Skip(w);
            }
            else r.Skip(wire);
        }
        return name;
    }

    private static TensorBoardImage DecodeImage(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        int h = 0, w = 0, c = 0;
        byte[] encoded = Array.Empty<byte>();
        while (r.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 0): h = (int)r.Varint(); break;
                case (2, 0): w = (int)r.Varint(); break;
                case (3, 0): c = (int)r.Varint(); break;
                case (4, 2): encoded = r.Bytes().ToArray(); break;
                default: r.Skip(wire); break;
            }
        }
        return new TensorBoardImage(h, w, c, encoded);
    }

    /// <summary>The numbers and strings of a <c>TensorProto</c> (DT_FLOAT = 1, DT_DOUBLE = 2; float_val, double_val, string_val, tensor_content).</summary>
    private sealed record Tensor(List<double> Numbers, List<string> Strings);

    private static Tensor DecodeTensor(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        var numbers = new List<double>();
        var strings = new List<string>();
        int dtype = 0;
        byte[]? content = null;
        while (r.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 0): dtype = (int)r.Varint(); break;
                case (4, 2): content = r.Bytes().ToArray(); break;
                case (5, 5): numbers.Add(r.Float()); break;
                case (5, 2): { var p = new ProtoReader(r.Bytes()); while (!p.AtEnd) numbers.Add(p.Float()); break; }
                case (6, 1): numbers.Add(r.Double()); break;
                case (6, 2): { var p = new ProtoReader(r.Bytes()); while (!p.AtEnd) numbers.Add(p.Double()); break; }
                case (8, 2): strings.Add(Encoding.UTF8.GetString(r.Bytes())); break;
                default: r.Skip(wire); break;
            }
        }
        // New-style scalars may come as raw little-endian bytes instead of float_val/double_val.
        if (numbers.Count == 0 && content is not null)
        {
            if (dtype == 1 && content.Length % 4 == 0)
                for (int i = 0; i < content.Length; i += 4) numbers.Add(BinaryPrimitives.ReadSingleLittleEndian(content.AsSpan(i)));
            else if (dtype == 2 && content.Length % 8 == 0)
                for (int i = 0; i < content.Length; i += 8) numbers.Add(BinaryPrimitives.ReadDoubleLittleEndian(content.AsSpan(i)));
        }
        return new Tensor(numbers, strings);
    }
}
