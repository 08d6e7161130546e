namespace Sbi.Plots;

/// <summary>Writes a rendered plot to its PNG path: the folder is checked first, the file replaced atomically.</summary>
internal static class PlotFile
{
    /// <summary>
    /// Checks that <paramref name="path"/> can be written (a .png in an existing, writable folder), renders into a
    /// temporary file beside it with <paramref name="render"/> and moves that over <paramref name="path"/>.
    /// </summary>
    /// <exception cref="ArgumentException">the path is empty, not a .png, its folder is missing, or it cannot be written.</exception>
    public static string Save(string path, string argumentName, Action<string> render)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{argumentName} must be a file path; got an empty string.", argumentName);
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{argumentName} must name a .png file; got '{path}'.", argumentName);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new ArgumentException($"{argumentName}: the folder '{dir}' does not exist.", argumentName);
        if (Directory.Exists(full)) throw new ArgumentException($"{argumentName}: '{full}' is a folder, not a file.", argumentName);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            using (File.Create(temp, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{argumentName}: cannot write to the folder '{dir}' ({e.Message}).", argumentName, e);
        }
        try
        {
            render(temp);
            if (!File.Exists(temp)) throw new IOException($"the renderer wrote no file for {full}");
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{argumentName}: cannot write '{full}' ({e.Message}).", argumentName, e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return full;
    }
}
