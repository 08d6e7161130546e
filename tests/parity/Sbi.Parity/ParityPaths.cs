namespace Sbi.Parity;

/// <summary>
/// Where the harness finds its parts. The build copies fixtures, the Python module and the host next to the
/// assembly; a source checkout is the fallback (e.g. when running from another output folder).
/// </summary>
public static class ParityPaths
{
    private static string BaseDir => AppContext.BaseDirectory;

    /// <summary>The repository root (the folder with Sbi.Net.sln above the running assembly), or null.</summary>
    public static string? RepoRoot() => Sbi.Bench.ReferenceConfig.RepoRoot();

    /// <summary>Folder of the recorded fixtures (<c>SBI_PARITY_FIXTURES</c> overrides).</summary>
    public static string Fixtures() =>
        Environment.GetEnvironmentVariable("SBI_PARITY_FIXTURES") is { Length: > 0 } env ? env
        : FirstExisting(Path.Combine(BaseDir, "fixtures"), RepoPath("tests", "parity", "fixtures"))
          ?? throw new DirectoryNotFoundException($"parity fixtures not found next to {BaseDir} nor in a source checkout");

    /// <summary>Folder holding python/sbi_parity.py.</summary>
    public static string PythonDir() =>
        FirstExisting(Path.Combine(BaseDir, "python"), RepoPath("python"))
        ?? throw new DirectoryNotFoundException($"python/sbi_parity.py not found next to {BaseDir} nor in a source checkout");

    /// <summary>The host program (<c>SBI_PARITY_HOST</c> overrides), or null when it was not built.</summary>
    public static string? HostDll()
    {
        const string name = "Sbi.Parity.PythonHost.dll";
        if (Environment.GetEnvironmentVariable("SBI_PARITY_HOST") is { Length: > 0 } env) return env;
        var candidates = new List<string?> { Path.Combine(BaseDir, "PythonHost", name) };
        foreach (var config in new[] { "Release", "Debug" })
            candidates.Add(RepoPath("tests", "parity", "PythonHost", "bin", config, "net10.0", name));
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string? RepoPath(params string[] parts) => RepoRoot() is { } root ? Path.Combine(new[] { root }.Concat(parts).ToArray()) : null;

    private static string? FirstExisting(params string?[] paths) => paths.FirstOrDefault(p => p is not null && (Directory.Exists(p) || File.Exists(p)));
}
