using System.IO.Compression;
using System.Security.Cryptography;
using Sbi.Numpy;

namespace Sbi.Format;

/// <summary>
/// SHA-256 digests of stored bytes, the integrity check of model files (one digest per <c>.npy</c> member, kept in
/// <c>config_json</c>) and of ONNX posterior packages (one per file, kept in the manifest). Digests are lower-case hex.
/// A zip's own CRC-32 does not protect a member: a rewritten member comes with a matching CRC, and a reader need not
/// check it; the digests are written by the program that wrote the weights and checked before any weight is used.
/// </summary>
public static class MemberDigests
{
    /// <summary>The digest of <paramref name="bytes"/>.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The digest of everything left in <paramref name="stream"/> (read in chunks: memory stays bounded).</summary>
    public static string Of(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The digest of the <c>.npy</c> bytes that <see cref="Npy.Write(Stream, NpyArray)"/> (and so <see cref="Npz.Write(Stream, IEnumerable{KeyValuePair{string, NpyArray}}, bool)"/>) writes for <paramref name="array"/>.</summary>
    public static string OfNpy(NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        using var ms = new MemoryStream();
        Npy.Write(ms, array);
        return Of(ms.GetBuffer().AsSpan(0, (int)ms.Length));
    }

    /// <summary>The digest of a file's bytes.</summary>
    public static string OfFile(string path)
    {
        using var fs = File.OpenRead(path);
        return Of(fs);
    }

    /// <summary>
    /// Checks every <c>.npy</c> member of the npz archive <paramref name="path"/> (except <paramref name="skipKey"/>,
    /// the member holding the digests themselves) against <paramref name="expected"/> (key without <c>.npy</c> → digest):
    /// each member has a digest, each digest a member, and they agree.
    /// </summary>
    /// <exception cref="SbiDataException">a member was changed, added or removed; the message names file, member and both digests.</exception>
    public static void VerifyNpz(string path, IReadOnlyDictionary<string, string> expected, string skipKey)
    {
        ArgumentNullException.ThrowIfNull(expected);
        using var fs = File.OpenRead(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Read);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
            string key = entry.FullName[..^4];
            if (key == skipKey) continue;
            if (!expected.TryGetValue(key, out var want))
                throw new SbiDataException(path, $"member '{entry.FullName}' has no recorded SHA-256 digest (expected one for every member; the file was altered after it was written).");
            string actual;
            using (var es = entry.Open()) actual = Of(es);
            if (!string.Equals(actual, want, StringComparison.OrdinalIgnoreCase))
                throw new SbiDataException(path, $"member '{entry.FullName}' is corrupt: SHA-256 expected {want}, actual {actual}.");
            seen.Add(key);
        }
        var missing = expected.Keys.FirstOrDefault(k => !seen.Contains(k));
        if (missing is not null)
            throw new SbiDataException(path, $"member '{missing}.npy' is recorded (SHA-256 {expected[missing]}) but missing from the archive.");
    }
}
