using Sbi.Numpy;

namespace Sbi.Onnx.Package;

/// <summary>
/// Replaces a package directory as a whole: the new package is written into a unique sibling folder, which then takes
/// the target's place by two renames (old away, new in) on the same file system; the old folder is deleted last. An
/// exception at any point removes the new folder and puts the old one back, so the target holds the old package or the
/// new one. (A process killed between the two renames leaves the old package in its sibling <c>.*.old</c> folder.)
/// </summary>
internal static class PackageSwap
{
    public static void Replace(string packageDir, Action<string> writeInto, Action<string>? fault = null)
    {
        string target = Path.GetFullPath(packageDir).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"cannot export into the root directory '{packageDir}'.", nameof(packageDir));
        string name = Path.GetFileName(target);
        if (Directory.Exists(target) && !File.Exists(Path.Combine(target, PosteriorManifest.FileName)) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new SbiDataException(target, $"exists and is not a posterior package (no {PosteriorManifest.FileName}) nor empty; export replaces the whole folder, so pick a new or empty one.");
        if (File.Exists(target)) throw new SbiDataException(target, "is a file; expected a package directory.");
        Directory.CreateDirectory(parent);
        string tag = Guid.NewGuid().ToString("N");
        string staging = Path.Combine(parent, $".{name}.{tag}.new");
        string old = Path.Combine(parent, $".{name}.{tag}.old");
        bool movedAway = false;
        try
        {
            Directory.CreateDirectory(staging);
            writeInto(staging);
            if (Directory.Exists(target))
            {
                Directory.Move(target, old);
                movedAway = true;
                fault?.Invoke("old-moved-away");
            }
            Directory.Move(staging, target);
        }
        catch
        {
            if (movedAway && !Directory.Exists(target)) Directory.Move(old, target);
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
        if (movedAway) Directory.Delete(old, recursive: true);
    }
}
