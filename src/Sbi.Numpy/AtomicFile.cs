namespace Sbi.Numpy;

/// <summary>
/// Writes a file so that its path only ever holds the old content or the complete new one: the bytes go to a unique
/// temporary name in the target folder (the same file system, so the rename is atomic; unique, so two writers never
/// share it), are flushed to disk, and the temporary file is renamed over the target. A crash, a kill or an exception
/// mid-write leaves the target untouched (and the temporary file is removed where the process survives).
/// </summary>
public static class AtomicFile
{
    /// <summary>The unique temporary path beside <paramref name="path"/> that a write goes through.</summary>
    public static string TemporaryPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which gets a stream on the temporary file.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = TemporaryPathFor(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
