using System.Text.Json;

namespace Sbi.Parity.Reference;

/// <summary>
/// Where the Python reference (a Python with sbi importable) lives. Found, first match per field:
/// environment variables <c>SBI_PARITY_PYTHON_LIB</c> (path of libpython3.x.so), <c>SBI_PARITY_PYTHONPATH</c>
/// (extra module folders, ':'-separated), <c>SBI_PARITY_LD_LIBRARY_PATH</c> (e.g. OpenBLAS first), then the
/// first settings file that exists among <c>$SBI_PARITY_SETTINGS</c>, <c>&lt;repo&gt;/sbi-parity.json</c>,
/// <c>~/.config/sbi-net/sbi-parity.json</c> and <c>/opt/sbi-ref/sbi-parity.json</c> (what
/// python/setup_sbi_reference.sh writes): <c>{"pythonLib": ..., "pythonPath": ..., "ldLibraryPath": ...}</c>.
/// A set <c>SBI_PARITY_SETTINGS</c> is the only file looked at: naming a file that does not exist hides every
/// reference (<c>SBI_PARITY_SETTINGS=/nonexistent</c> runs the suite as on a machine without Python).
/// </summary>
public sealed record ReferenceSettings(string PythonLib, string PythonPath, string LdLibraryPath, string Source)
{
    public const string LibVariable = "SBI_PARITY_PYTHON_LIB";
    public const string PathVariable = "SBI_PARITY_PYTHONPATH";
    public const string LdVariable = "SBI_PARITY_LD_LIBRARY_PATH";
    public const string SettingsVariable = "SBI_PARITY_SETTINGS";

    /// <summary>Candidate settings files, in the order they are tried.</summary>
    public static IEnumerable<string> SettingsFiles()
    {
        if (Environment.GetEnvironmentVariable(SettingsVariable) is { Length: > 0 } explicitPath)
        {
            yield return explicitPath;
            yield break;
        }
        if (ParityPaths.RepoRoot() is { } root) yield return Path.Combine(root, "sbi-parity.json");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) yield return Path.Combine(home, ".config", "sbi-net", "sbi-parity.json");
        yield return "/opt/sbi-ref/sbi-parity.json";
    }

    /// <summary>The settings, or null with the reason why none were found (the live cases are then skipped).</summary>
    public static ReferenceSettings? Discover(out string reason)
    {
        string? lib = Env(LibVariable), path = Env(PathVariable), ld = Env(LdVariable);
        string source = string.Join(" + ", new[] { (LibVariable, lib), (PathVariable, path), (LdVariable, ld) }
            .Where(v => v.Item2 is not null).Select(v => "$" + v.Item1));
        foreach (var file in SettingsFiles())
        {
            if (!File.Exists(file)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            lib ??= Str(root, "pythonLib");
            path ??= Str(root, "pythonPath");
            ld ??= Str(root, "ldLibraryPath");
            source = source.Length == 0 ? file : $"{source} + {file}";
            break;
        }
        if (lib is null)
        {
            reason = $"no Python reference configured: set {LibVariable} (libpython path) and {PathVariable} (folders with sbi, " +
                     $"nflows, ...), or write one of: {string.Join(", ", SettingsFiles())} (see python/setup_sbi_reference.sh)";
            return null;
        }
        if (!File.Exists(lib))
        {
            reason = $"the configured Python library {lib} (from {source}) does not exist";
            return null;
        }
        reason = "";
        return new ReferenceSettings(lib, path ?? "", ld ?? "", source);
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
}
