using System.Diagnostics;

namespace Sbi.Bench;

/// <summary>
/// The Python reference (a Python with sbi importable) that <c>sbi-net bench posteriors --sbi</c> runs
/// python/bench_posteriors_sbi.py with, from the configuration the parity harness reads too (<see cref="ReferenceConfig"/>).
/// The harness embeds libpython; a script needs the interpreter instead: <c>SBI_PARITY_PYTHON</c> or the settings'
/// <c>"python"</c>, else the interpreter named after the library (libpython3.11.so → python3.11) in /usr/bin,
/// /usr/local/bin or the library's prefix.
/// </summary>
/// <param name="Python">The interpreter.</param>
/// <param name="PythonPath">Folders with sbi, nflows, … (':'-separated), put first on PYTHONPATH.</param>
/// <param name="LdLibraryPath">Put first on LD_LIBRARY_PATH (OpenBLAS before the reference BLAS), or empty.</param>
/// <param name="Source">Where the settings came from.</param>
public sealed record SbiReference(string Python, string PythonPath, string LdLibraryPath, string Source)
{
    /// <summary>The environment variables read (<see cref="ReferenceConfig"/>'s).</summary>
    public const string LibVariable = ReferenceConfig.LibVariable, PathVariable = ReferenceConfig.PathVariable, LdVariable = ReferenceConfig.LdVariable,
                        SettingsVariable = ReferenceConfig.SettingsVariable, PythonVariable = ReferenceConfig.PythonVariable;

    /// <summary>The bench script's file name (under python/).</summary>
    public const string ScriptName = "bench_posteriors_sbi.py";

    /// <summary>The reference, or null with the reason none was found.</summary>
    public static SbiReference? Discover(out string reason)
    {
        var (lib, path, ld, python, source) = ReferenceConfig.Read();
        if (lib is null && python is null)
        {
            reason = $"no Python reference configured: set {LibVariable} (libpython path) and {PathVariable} (folders with sbi, nflows, ...), " +
                     $"or write one of: {string.Join(", ", ReferenceConfig.SettingsFiles())} (see python/setup_sbi_reference.sh)";
            return null;
        }
        if (python is not null && !File.Exists(python))
        {
            reason = $"the configured Python interpreter {python} (from {source}) does not exist";
            return null;
        }
        python ??= InterpreterFor(lib!);
        if (python is null)
        {
            reason = $"no Python interpreter found for the configured reference (from {source}): looked for {InterpreterName(lib!)} in the " +
                     $"prefix of {lib}, /usr/bin and /usr/local/bin; set {PythonVariable}";
            return null;
        }
        reason = "";
        return new SbiReference(python, path ?? "", ld ?? "", source);
    }

    /// <summary>python/bench_posteriors_sbi.py: copied beside the program by the build, else in the source checkout.</summary>
    public static string ScriptPath()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "python", ScriptName);
        if (File.Exists(beside)) return beside;
        if (ReferenceConfig.RepoRoot() is { } root && File.Exists(Path.Combine(root, "python", ScriptName))) return Path.Combine(root, "python", ScriptName);
        throw new FileNotFoundException($"python/{ScriptName} not found beside {AppContext.BaseDirectory} nor in a source checkout", ScriptName);
    }

    /// <summary>
    /// Runs python/bench_posteriors_sbi.py on <paramref name="dir"/>, each line it prints passed to <paramref name="line"/>;
    /// returns when it ends. A non-zero exit is an <see cref="InvalidOperationException"/> with its last lines;
    /// cancellation kills it.
    /// </summary>
    public void RunBenchScript(string dir, Action<string> line, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentNullException.ThrowIfNull(line);
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ScriptPath());
        psi.ArgumentList.Add(dir);
        Prepend(psi, "PYTHONPATH", PythonPath);
        Prepend(psi, "LD_LIBRARY_PATH", LdLibraryPath);
        var tail = new Queue<string>();
        void Receive(string? text)
        {
            if (text is null) return;
            lock (tail)
            {
                tail.Enqueue(text);
                if (tail.Count > 20) tail.Dequeue();
                line(text);
            }
        }
        using var child = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Python}");
        child.OutputDataReceived += (_, e) => Receive(e.Data);
        child.ErrorDataReceived += (_, e) => Receive(e.Data);
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        using (cancellationToken.Register(() => { try { child.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
            child.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        if (child.ExitCode != 0)
        {
            string last;
            lock (tail) last = string.Join(Environment.NewLine, tail);
            throw new InvalidOperationException($"python/{ScriptName} failed with exit code {child.ExitCode} ({Python}, settings from {Source}); its last lines:{Environment.NewLine}{last}");
        }
    }

    private static void Prepend(ProcessStartInfo psi, string variable, string value)
    {
        if (value.Length == 0) return;
        var old = psi.Environment.TryGetValue(variable, out var v) ? v : null;
        psi.Environment[variable] = string.IsNullOrEmpty(old) ? value : value + Path.PathSeparator + old;
    }

    /// <summary>"python3.11" for ".../libpython3.11.so.1.0", "python3" where the name has no version.</summary>
    private static string InterpreterName(string lib)
    {
        var name = Path.GetFileName(lib);
        if (name.StartsWith("libpython", StringComparison.Ordinal))
        {
            var version = new string(name["libpython".Length..].TakeWhile(c => char.IsDigit(c) || c == '.').ToArray()).TrimEnd('.');
            if (version.Length > 0) return "python" + version;
        }
        return "python3";
    }

    private static string? InterpreterFor(string lib)
    {
        var name = InterpreterName(lib);
        var libDir = Path.GetDirectoryName(Path.GetFullPath(lib)) ?? "/";
        // /usr/lib/x86_64-linux-gnu/libpython3.11.so → /usr/bin; /opt/py/lib/libpython3.11.so → /opt/py/bin.
        // The library's own prefix first (another Python on PATH may lack numpy), the exact version before plain python3.
        var dirs = new[] { Path.Combine(libDir, "..", "bin"), Path.Combine(libDir, "..", "..", "bin"), "/usr/bin", "/usr/local/bin" };
        return new[] { name, "python3" }.SelectMany(n => dirs.Select(d => Path.GetFullPath(Path.Combine(d, n)))).FirstOrDefault(File.Exists);
    }
}
