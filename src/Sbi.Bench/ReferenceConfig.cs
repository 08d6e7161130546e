using System.Text.Json;

namespace Sbi.Bench;

/// <summary>
/// Where the Python reference (a Python with sbi importable) is configured, read once for both of its users: the
/// parity harness (tests/parity, which embeds libpython) and <c>sbi-net bench posteriors --sbi</c> (<see cref="SbiReference"/>,
/// which runs the interpreter). First match per field: the environment variables <c>SBI_PARITY_PYTHON_LIB</c> (path of
/// libpython3.x.so), <c>SBI_PARITY_PYTHONPATH</c> (module folders, ':'-separated), <c>SBI_PARITY_LD_LIBRARY_PATH</c>
/// (e.g. OpenBLAS first) and <c>SBI_PARITY_PYTHON</c> (the interpreter), then the first settings file that exists among
/// <see cref="SettingsFiles"/>: <c>{"pythonLib": …, "pythonPath": …, "ldLibraryPath": …, "python": …}</c>, as
/// python/setup_sbi_reference.sh writes it. A set <c>SBI_PARITY_SETTINGS</c> is the only file looked at, so naming one
/// that does not exist hides every reference (<c>SBI_PARITY_SETTINGS=/nonexistent</c>: as on a machine without Python).
/// Each user checks the fields it needs.
/// </summary>
/// <param name="PythonLib">libpython's path, or null.</param>
/// <param name="PythonPath">Module folders, or null.</param>
/// <param name="LdLibraryPath">Folders put first on LD_LIBRARY_PATH, or null.</param>
/// <param name="Python">The interpreter, or null.</param>
/// <param name="Source">Where the fields came from ("$VARIABLE + file"), empty when nothing was found.</param>
public sealed record ReferenceConfig(string? PythonLib, string? PythonPath, string? LdLibraryPath, string? Python, string Source)
{
    /// <summary>The environment variables read.</summary>
    public const string LibVariable = "SBI_PARITY_PYTHON_LIB", PathVariable = "SBI_PARITY_PYTHONPATH", LdVariable = "SBI_PARITY_LD_LIBRARY_PATH",
                        SettingsVariable = "SBI_PARITY_SETTINGS", PythonVariable = "SBI_PARITY_PYTHON";

    /// <summary>Candidate settings files, in the order tried.</summary>
    public static IEnumerable<string> SettingsFiles()
    {
        if (Environment.GetEnvironmentVariable(SettingsVariable) is { Length: > 0 } explicitPath)
        {
            yield return explicitPath;
            yield break;
        }
        if (RepoRoot() is { } root) yield return Path.Combine(root, "sbi-parity.json");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) yield return Path.Combine(home, ".config", "sbi-net", "sbi-parity.json");
        yield return "/opt/sbi-ref/sbi-parity.json";
    }

    /// <summary>The configuration as found now (fields null where nothing sets them).</summary>
    public static ReferenceConfig Read()
    {
        string? lib = Env(LibVariable), path = Env(PathVariable), ld = Env(LdVariable), python = Env(PythonVariable);
        string source = string.Join(" + ", new[] { (LibVariable, lib), (PathVariable, path), (LdVariable, ld), (PythonVariable, python) }
            .Where(v => v.Item2 is not null).Select(v => "$" + v.Item1));
        foreach (var file in SettingsFiles())
        {
            if (!File.Exists(file)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            lib ??= Str(root, "pythonLib");
            path ??= Str(root, "pythonPath");
            ld ??= Str(root, "ldLibraryPath");
            python ??= Str(root, "python");
            source = source.Length == 0 ? file : $"{source} + {file}";
            break;
        }
        return new ReferenceConfig(lib, path, ld, python, source);
    }

    /// <summary>The repository root (the folder with Sbi.Net.sln above the running assembly), or null.</summary>
    public static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sbi.Net.sln"))) return dir.FullName;
        return null;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
}
