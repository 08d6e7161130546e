using System.Collections;
using System.IO.Compression;

namespace Sbi.Numpy;

/// <summary>
/// The arrays of a numpy <c>.npz</c> archive (written by <c>np.savez</c> or <c>np.savez_compressed</c>),
/// read eagerly. Keys are member names without the <c>.npy</c> suffix, exactly as numpy's
/// <c>NpzFile.files</c> (names may contain '/' and '.'); enumeration keeps the archive's member order.
/// </summary>
public sealed class NpzFile : IReadOnlyDictionary<string, NpyArray>
{
    private readonly List<string> _keys;
    private readonly Dictionary<string, NpyArray> _arrays;

    private NpzFile(string path, List<string> keys, Dictionary<string, NpyArray> arrays, List<string> other)
    {
        Path = path;
        _keys = keys;
        _arrays = arrays;
        OtherMembers = other;
    }

    /// <summary>The file this archive was loaded from.</summary>
    public string Path { get; }

    /// <summary>Archive members that are not <c>.npy</c> arrays (numpy allows them; they are not loaded).</summary>
    public IReadOnlyList<string> OtherMembers { get; }

    /// <summary>Loads every array of the archive at <paramref name="path"/>, bounded by <paramref name="limits"/>
    /// (null: <see cref="ReadLimits.Default"/>).</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="SbiDataException">the file is not a zip archive, a member fails its CRC-32 check, is not a
    /// supported <c>.npy</c> array or has a path-like name, or two members have the same name. The message names
    /// the file and member. <see cref="ReadLimitException"/>: the members decompress to more than the limits allow.</exception>
    public static NpzFile Load(string path, ReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"npz file not found: {path}", path);
        using var fs = File.OpenRead(path);
        return Load(fs, path, limits);
    }

    /// <summary>Loads every array of the archive in <paramref name="stream"/> (seekable, as zip needs);
    /// <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="SbiDataException">as <see cref="Load(string, ReadLimits)"/>.</exception>
    public static NpzFile Load(Stream stream, string sourceName = "<stream>", ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            // zip needs to seek (ZipArchive would copy the stream anyway): copy it here so its size sets the budget
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Load(copy, sourceName, limits);
        }
        var budget = ReadBudget.For(stream, limits, sourceName);
        using var zip = ZipMembers.Open(stream, sourceName, ".npz (zip) archive");
        var keys = new List<string>();
        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        var other = new List<string>();
        foreach (var entry in ZipMembers.Entries(zip, sourceName))
        {
            if (entry.FullName.EndsWith('/') && entry.Length == 0) continue; // directory entry
            if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
            {
                other.Add(entry.FullName);
                continue;
            }
            string key = entry.FullName[..^4];
            if (arrays.ContainsKey(key))
                throw new SbiDataException(sourceName, $"archive has two members named '{entry.FullName}'");
            string where = $"{sourceName}: member '{entry.FullName}'";
            NpyArray arr;
            using (var es = ZipMembers.OpenChecked(entry, budget))
            {
                try
                {
                    arr = Npy.Read(es, where, budget);
                }
                catch (SbiDataException e) when (e is not ReadLimitException && es.Problem() is string why)
                {
                    // a corrupt member usually fails to parse before its end is reached: name the checksum as the cause
                    throw new SbiDataException(sourceName, $"{why}; reading it as .npy failed too: {e.Message}", e);
                }
                es.Finish();
            }
            keys.Add(key);
            arrays.Add(key, arr);
        }
        return new NpzFile(sourceName, keys, arrays, other);
    }

    /// <summary>The array named <paramref name="key"/>; a missing key throws <see cref="KeyNotFoundException"/>
    /// naming the file and the keys present.</summary>
    public NpyArray this[string key] =>
        _arrays.TryGetValue(key, out var a) ? a
        : throw new KeyNotFoundException($"{Path}: no array named '{key}'; the archive has {_keys.Count} arrays: {Preview()}");

    /// <summary>Keys in archive order.</summary>
    public IEnumerable<string> Keys => _keys;

    /// <summary>Arrays in archive order.</summary>
    public IEnumerable<NpyArray> Values => _keys.Select(k => _arrays[k]);

    /// <summary>Number of arrays.</summary>
    public int Count => _keys.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _arrays.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out NpyArray value) => _arrays.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, NpyArray>> GetEnumerator() =>
        _keys.Select(k => new KeyValuePair<string, NpyArray>(k, _arrays[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The string of the 0-d unicode array <paramref name="key"/> (e.g. <c>config_json</c>).</summary>
    public string String(string key) => this[key].AsString();

    private string Preview()
    {
        const int max = 20;
        var shown = string.Join(", ", _keys.Take(max).Select(k => "'" + k + "'"));
        return _keys.Count > max ? shown + ", ..." : shown;
    }
}

/// <summary>Writer for numpy <c>.npz</c> archives (what <c>np.savez</c>/<c>np.savez_compressed</c> write).</summary>
public static class Npz
{
    /// <summary>Loads an archive; same as <see cref="NpzFile.Load(string, ReadLimits)"/>.</summary>
    public static NpzFile Load(string path, ReadLimits? limits = null) => NpzFile.Load(path, limits);

    /// <summary>Writes <paramref name="entries"/> in order as members <c>key.npy</c>. With
    /// <paramref name="compressed"/> members are deflated (<c>np.savez_compressed</c>), else stored
    /// (<c>np.savez</c>). Keys must be non-empty and unique.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, NpyArray>> entries, bool compressed = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        AtomicFile.Write(path, stream => Write(stream, list, compressed));
    }

    /// <summary>Writes the archive to <paramref name="stream"/> (left open).</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, NpyArray>> entries, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in list)
        {
            if (string.IsNullOrEmpty(k)) throw new ArgumentException("npz keys must be non-empty", nameof(entries));
            if (!seen.Add(k)) throw new ArgumentException($"npz key '{k}' appears twice", nameof(entries));
            if (v is null) throw new ArgumentException($"npz entry '{k}' is null", nameof(entries));
        }
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (k, v) in list)
        {
            var entry = zip.CreateEntry(k + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var es = entry.Open();
            Npy.Write(es, v);
        }
    }
}
