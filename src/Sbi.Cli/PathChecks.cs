namespace Sbi.Cli;

/// <summary>
/// Checks on the files a command reads and writes, made before any work starts so that a typo in --out does not cost
/// a training run. Every failure names the option and the path: what the command line got wrong (a folder given for a
/// file, --out naming an input) is a <see cref="UsageException"/> (exit 2); what the file system refuses (a missing or
/// unreadable file, a folder that cannot be created or written) is the I/O exception it would have been later (exit 1).
/// </summary>
internal static class PathChecks
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>An input file that exists and can be opened for reading.</summary>
    public static void InputFile(string path, string option)
    {
        if (Directory.Exists(path)) throw new UsageException($"{option}: '{path}' is a folder; expected a file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{option}: file '{path}' does not exist", path);
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UnauthorizedAccessException($"{option}: file '{path}' cannot be read ({e.Message})", e);
        }
    }

    /// <summary>An input folder (an ONNX package) that exists.</summary>
    public static void InputFolder(string path, string option)
    {
        if (File.Exists(path)) throw new UsageException($"{option}: '{path}' is a file; expected a folder");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{option}: folder '{path}' does not exist");
    }

    /// <summary>
    /// An output file or folder: not an existing folder (for a file) and not one of <paramref name="inputs"/> (nor, for
    /// a folder output, a folder holding one of them), and the nearest existing folder above it is writable (probed
    /// with a temporary file; missing folders below it are created when the output is written).
    /// </summary>
    public static void Output(string path, string option, bool isFolder, params (string? Path, string Option)[] inputs)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} must name a {(isFolder ? "folder" : "file")}; got '{path}'");
        if (!isFolder && Directory.Exists(path)) throw new UsageException($"{option}: '{path}' is a folder; expected a file name");
        if (isFolder && File.Exists(path)) throw new UsageException($"{option}: '{path}' is a file; expected a folder");
        var real = RealPath(path);
        foreach (var (input, inputOption) in inputs)
        {
            if (input is null) continue;
            var realInput = RealPath(input);
            bool same = string.Equals(real, realInput, PathComparison);
            bool inside = isFolder && realInput.StartsWith(real.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, PathComparison);
            if (same || inside)
                throw new UsageException($"{option} '{path}' would overwrite the input {inputOption} '{input}'; write the output elsewhere");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder)) throw new IOException($"{option}: cannot create '{path}': '{folder}' is a file, not a folder");
            folder = Path.GetDirectoryName(folder);
        }
        if (folder is null) throw new DirectoryNotFoundException($"{option}: no existing folder above '{path}'");
        var probe = Path.Combine(folder, $".sbi-net-probe-{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UnauthorizedAccessException($"{option}: cannot write to folder '{folder}' ({e.Message})", e);
        }
    }

    /// <summary>
    /// The absolute path with every symbolic link on the way resolved (as realpath(3) does for the part that exists; the
    /// rest is appended as given), so two names of one file compare equal.
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        // Linux gives up after 40 links (ELOOP); so do we, instead of looping on a cycle.
        int links = 0;
        var pending = new Queue<string>(parts);
        while (pending.Count > 0)
        {
            var next = Path.Combine(current, pending.Dequeue());
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target && ++links <= 40)
            {
                var resolved = Path.GetFullPath(target, current);
                var rest = pending.ToArray();
                pending.Clear();
                var resolvedRoot = Path.GetPathRoot(resolved)!;
                current = resolvedRoot;
                foreach (var p in resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)) pending.Enqueue(p);
                foreach (var p in rest) pending.Enqueue(p);
                continue;
            }
            current = next;
        }
        return current;
    }
}
