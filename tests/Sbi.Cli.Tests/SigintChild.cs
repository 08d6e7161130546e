using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>
/// `sbi-net` in a real child process that a test interrupts with SIGINT (/bin/kill -INT), as a user's Ctrl-C does: it
/// starts the child with SIGINT at its default action, collects stdout and stderr, waits for a line that says the
/// work has begun, sends the signal and waits for the child to stop. Skips (Assert.Ignore) where SIGINT cannot be sent.
/// </summary>
internal sealed class SigintChild : IDisposable
{
    private readonly Process _child;
    private readonly StringBuilder _stderr = new(), _stdout = new();
    private readonly ManualResetEventSlim _ready = new();

    private SigintChild(Process child, Func<string, bool> isReadyLine)
    {
        _child = child;
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
            if (isReadyLine(e.Data)) _ready.Set();
        };
        child.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        child.BeginErrorReadLine();
        child.BeginOutputReadLine();
    }

    /// <summary>Starts `dotnet sbi-net.dll <paramref name="arguments"/>`; <paramref name="isReadyLine"/> picks the stderr line after which to interrupt.</summary>
    public static SigintChild Start(IEnumerable<string> arguments, Func<string, bool> isReadyLine)
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/kill")) Assert.Ignore("sends SIGINT with /bin/kill");
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "sbi-net.dll");
        if (!File.Exists(dll)) Assert.Fail($"{dll} is missing: the project reference to Sbi.Cli copies it beside the tests");
        var command = new List<string> { "dotnet", dll };
        command.AddRange(arguments);
        if (SigintIgnoredHere())
        {
            // A test run started in the background by a non-interactive shell ignores SIGINT, and a child inherits
            // that (the CLI rightly keeps a parent's choice). Reset it to the default for the child only.
            if (!File.Exists("/usr/bin/python3")) Assert.Ignore("SIGINT is ignored in this test process and no python3 is here to reset it for the child");
            command.InsertRange(0, ["/usr/bin/python3", "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"]);
        }
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        return new SigintChild(Process.Start(psi)!, isReadyLine);
    }

    /// <summary>Whether the child has ended.</summary>
    public bool HasExited => _child.HasExited;

    /// <summary>What the child wrote to stderr so far.</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>What the child wrote to stdout so far.</summary>
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    /// <summary>Waits until the ready line came or the child ended (a failure before the work shows its stderr at once); whether the line came.</summary>
    public bool WaitReady(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!_ready.Wait(100) && !_child.HasExited && DateTime.UtcNow < deadline) { }
        return _ready.IsSet;
    }

    /// <summary>Sends SIGINT, asserts that the child stops within a minute, and returns its exit code.</summary>
    public int Interrupt()
    {
        using (var kill = Process.Start("/bin/kill", ["-INT", _child.Id.ToString()])) kill.WaitForExit();
        Assert.That(_child.WaitForExit(60_000), Is.True, "the child did not stop after SIGINT");
        _child.WaitForExit(); // the redirected streams are drained
        return _child.ExitCode;
    }

    /// <summary>Kills the child if it still runs.</summary>
    public void Dispose()
    {
        if (!_child.HasExited) _child.Kill();
        _child.Dispose();
        _ready.Dispose();
    }

    /// <summary>Whether SIGINT (signal 2, bit 1 of the mask) is ignored by this process (/proc/self/status SigIgn).</summary>
    private static bool SigintIgnoredHere()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;
    }
}
