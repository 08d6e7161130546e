using System.IO.Compression;
using System.IO.Hashing;

namespace Sbi.Numpy;

/// <summary>
/// The one way the readers open zip archives and read their members: the archive's own errors become
/// <see cref="SbiDataException"/>s naming the file; member names must be relative and plain; every member's bytes are
/// bounded by its declared size and the load's <see cref="ReadBudget"/>, and checked against its stored CRC-32
/// (System.IO.Compression checks neither, so a flipped byte in a stored member would otherwise read as data).
/// </summary>
internal static class ZipMembers
{
    /// <summary>Opens <paramref name="stream"/> as a zip archive (left open); <paramref name="kind"/> names the
    /// expected format in the error ("a .npz (zip) archive").</summary>
    public static ZipArchive Open(Stream stream, string source, string kind)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw new SbiDataException(source, $"not a readable {kind} (truncated or corrupt): {e.Message}", e);
        }
    }

    /// <summary>The archive's entries; a central directory that cannot be read is a data error.</summary>
    public static IReadOnlyList<ZipArchiveEntry> Entries(ZipArchive zip, string source)
    {
        try
        {
            var entries = zip.Entries;
            foreach (var e in entries) CheckName(e.FullName, source);
            return entries;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException
                                      && e is not SbiDataException)
        {
            throw new SbiDataException(source, $"the zip directory cannot be read (truncated or corrupt): {e.Message}", e);
        }
    }

    /// <summary>Refuses member names that are paths out of the archive (absolute, drive-qualified, '..' segments,
    /// backslashes) or hold control characters: numpy and torch never write them, and a consumer that uses keys
    /// as file names must not be led outside its folder.</summary>
    public static void CheckName(string name, string source)
    {
        string? why = null;
        if (name.Length == 0) why = "is empty";
        else if (name[0] == '/') why = "is an absolute path";
        else if (name.Contains('\\')) why = "contains a backslash";
        else if (name.Length >= 2 && name[1] == ':') why = "starts with a drive letter";
        else if (name.Split('/').Any(s => s == "..")) why = "has a '..' segment";
        else if (name.Any(c => c < 0x20 || c == 0x7f)) why = "contains a control character";
        if (why != null)
            throw new SbiDataException(source, $"member name '{Printable(name)}' {why}; expected a relative name such as 'x.npy' or 'archive/data/0'");
    }

    /// <summary>Reads the whole of <paramref name="entry"/>, charged to <paramref name="budget"/>, CRC checked.</summary>
    public static byte[] ReadAll(ZipArchiveEntry entry, ReadBudget budget)
    {
        using var s = OpenChecked(entry, budget);
        var buf = new byte[s.DeclaredLength];
        Npy.ReadFully(s, buf);
        s.Finish();
        return buf;
    }

    /// <summary>Opens <paramref name="entry"/> for reading, its declared size charged to <paramref name="budget"/>.
    /// Read it, then call <see cref="CheckedMemberStream.Finish"/>.</summary>
    public static CheckedMemberStream OpenChecked(ZipArchiveEntry entry, ReadBudget budget)
    {
        string where = $"member '{entry.FullName}'";
        if (entry.Length > Array.MaxLength)
            throw new SbiDataException(budget.Source, $"{where} declares {entry.Length} bytes, over the {Array.MaxLength}-byte limit of one .NET array");
        budget.Charge(entry.Length, where);
        Stream inner;
        try { inner = entry.Open(); }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new SbiDataException(budget.Source, $"{where} cannot be opened (corrupt, encrypted or an unsupported compression method): {e.Message}", e);
        }
        return new CheckedMemberStream(inner, entry, budget.Source);
    }

    internal static string Printable(string s) =>
        new(s.Take(200).Select(c => c < 0x20 || c == 0x7f ? '?' : c).ToArray());
}

/// <summary>
/// A zip member's bytes as read: refuses more bytes than the member declares (a zip bomb's decompressed stream may
/// run on), counts them and computes their CRC-32 for <see cref="Finish"/>. Decompression errors become
/// <see cref="SbiDataException"/>s naming the member.
/// </summary>
internal sealed class CheckedMemberStream : Stream
{
    private readonly Stream _inner;
    private readonly ZipArchiveEntry _entry;
    private readonly string _source;
    private readonly Crc32 _crc = new();
    private long _read;

    internal CheckedMemberStream(Stream inner, ZipArchiveEntry entry, string source)
    {
        _inner = inner;
        _entry = entry;
        _source = source;
        DeclaredLength = entry.Length;
    }

    /// <summary>The uncompressed size the archive declares for the member.</summary>
    public long DeclaredLength { get; }

    private string Where => $"member '{_entry.FullName}'";

    public override int Read(Span<byte> buffer)
    {
        // ask for one byte past the declared end, so a member that runs on is caught here
        long room = DeclaredLength - _read + 1;
        if (buffer.Length > room) buffer = buffer[..(int)room];
        int n;
        try { n = _inner.Read(buffer); }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException && e is not SbiDataException)
        {
            throw Fail($"{Where} cannot be decompressed (truncated or corrupt): {e.Message}", e);
        }
        _read += n;
        if (_read > DeclaredLength)
            throw Fail($"{Where} holds more than the {DeclaredLength} bytes its header declares (corrupt, or a zip bomb)");
        _crc.Append(buffer[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Reads what the parser left (the member must end where it declares) and compares the CRC-32 of all
    /// of its bytes with the stored one; throws <see cref="SbiDataException"/> naming the member if not.</summary>
    public void Finish()
    {
        if (Problem() is string why) throw new SbiDataException(_source, why);
    }

    /// <summary>Why the member is not whole or fails its CRC-32 check (after reading the rest), or null when it is
    /// sound. Used to name a checksum failure as the cause when parsing failed first; never throws a data error.</summary>
    public string? Problem()
    {
        if (_problem != null) return _problem;
        try
        {
            var rest = new byte[81920];
            while (Read(rest) > 0) { }
        }
        catch (SbiDataException) { return _problem; }
        if (_read != DeclaredLength)
            return _problem = $"{Where} should have {DeclaredLength} bytes, has {_read} (truncated or corrupt)";
        uint computed = _crc.GetCurrentHashAsUInt32();
        if (computed != _entry.Crc32)
            return _problem = $"{Where} fails its CRC-32 check: stored 0x{_entry.Crc32:x8}, computed 0x{computed:x8} (the file is corrupt)";
        return null;
    }

    private string? _problem;

    private SbiDataException Fail(string why, Exception? inner = null)
    {
        _problem = why;
        return new SbiDataException(_source, why, inner);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => DeclaredLength;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
