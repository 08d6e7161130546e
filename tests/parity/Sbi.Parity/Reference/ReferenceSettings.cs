using Sbi.Bench;

namespace Sbi.Parity.Reference;

/// <summary>
/// Where the Python reference (a Python with sbi importable) lives, for the harness that embeds libpython: the
/// configuration of <see cref="ReferenceConfig"/> (environment variables, then the first settings file; a set
/// <c>SBI_PARITY_SETTINGS</c> naming a file that does not exist hides every reference), of which the harness needs
/// libpython's path.
/// </summary>
public sealed record ReferenceSettings(string PythonLib, string PythonPath, string LdLibraryPath, string Source)
{
    public const string LibVariable = ReferenceConfig.LibVariable;
    public const string PathVariable = ReferenceConfig.PathVariable;
    public const string LdVariable = ReferenceConfig.LdVariable;
    public const string SettingsVariable = ReferenceConfig.SettingsVariable;

    /// <summary>Candidate settings files, in the order they are tried.</summary>
    public static IEnumerable<string> SettingsFiles() => ReferenceConfig.SettingsFiles();

    /// <summary>The settings, or null with the reason why none were found (the live cases are then skipped).</summary>
    public static ReferenceSettings? Discover(out string reason)
    {
        var (lib, path, ld, _, source) = ReferenceConfig.Read();
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
}
