using System.Diagnostics;
using System.Text;

namespace Sbi.Parity.Reference;

/// <summary>
/// One running PythonHost: writes request lines, reads reply lines with a deadline, keeps the tail of its
/// stderr for error messages. A timeout or an unexpected end kills the process (callers start a new one).
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private const int StderrLines = 80;
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();

    private HostProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
            {
                _stderr.Enqueue(e.Data);
                while (_stderr.Count > StderrLines) _stderr.Dequeue();
            }
        };
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the host; the first reply line (hello) is read by the caller with <see cref="ReadLine"/>.</summary>
    public static HostProcess Start(ReferenceSettings settings, string hostDll, string pythonDir, string workDir)
    {
        var psi = new ProcessStartInfo(DotnetExecutable())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // sbi writes TensorBoard logs to ./sbi-logs: keep them out of the repository.
            WorkingDirectory = workDir,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var a in new[] { hostDll, "--python-lib", settings.PythonLib, "--script-dir", pythonDir, "--python-path", settings.PythonPath })
            psi.ArgumentList.Add(a);
        // No __pycache__ next to python/sbi_parity.py; unbuffered so stderr tails are complete when a case dies.
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        if (settings.LdLibraryPath.Length > 0)
        {
            var old = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            psi.Environment["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(old) ? settings.LdLibraryPath : settings.LdLibraryPath + ":" + old;
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the parity host process");
        return new HostProcess(p);
    }

    /// <summary>Sends one line (no reply read).</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>The next stdout line, or an exception naming the cause (timeout, exit) with the stderr tail.</summary>
    public string ReadLine(TimeSpan timeout, string what)
    {
        var read = _process.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeout))
        {
            Kill();
            throw new ReferenceException($"the Python reference did not answer {what} within {timeout.TotalSeconds:F0} s; host killed.", StderrTail());
        }
        if (read.Result is { } line) return line;
        _process.WaitForExit(5000);
        string code = _process.HasExited ? _process.ExitCode.ToString() : "?";
        throw new ReferenceException($"the Python reference process ended (exit code {code}) while handling {what}.", StderrTail());
    }

    public string StderrTail()
    {
        Thread.Sleep(100); // let the asynchronous stderr reader catch up with a process that just died
        lock (_stderr) return string.Join("\n", _stderr);
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { /* already gone */ }
    }

    public void Dispose()
    {
        try
        {
            // Closing stdin ends the host's read loop; kill only if it does not leave on its own.
            if (!_process.HasExited) _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException) { Kill(); }
        _process.Dispose();
    }

    private static string DotnetExecutable()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}
