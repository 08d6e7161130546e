// Hosts the real Python sbi for the parity harness (tests/parity/Sbi.Parity/Reference/SbiReference.cs starts it).
//
// Usage: Sbi.Parity.PythonHost --python-lib <libpython3.x.so> --script-dir <folder of sbi_parity.py>
//                              [--python-path <dir>[:<dir>...]]
// Protocol: after start-up one line {"ok": true, "hello": true, "versions": {...}} (or {"ok": false, "error": ...}
// and exit code 2); then, for every JSON request line on stdin, exactly one JSON reply line (see
// python/sbi_parity.py). EOF on stdin ends the process. Everything else Python or native code prints goes to
// stderr: sbi_parity.redirect_stdout() moves fd 1 there and hands back a private copy for the replies.
using System.Text;
using Microsoft.Win32.SafeHandles;
using Python.Runtime;

static string Arg(string[] args, string name, string? fallback = null)
{
    int i = Array.IndexOf(args, name);
    if (i >= 0 && i + 1 < args.Length) return args[i + 1];
    return fallback ?? throw new ArgumentException($"missing argument {name}");
}

var stdout = Console.OpenStandardOutput();
void Fail(string message, int code)
{
    // Before the redirect the real stdout is still fd 1: the harness reads this line as the failed hello.
    var line = "{\"ok\": false, \"error\": " + System.Text.Json.JsonSerializer.Serialize(message) + "}\n";
    stdout.Write(Encoding.UTF8.GetBytes(line));
    stdout.Flush();
    Environment.Exit(code);
}

string lib, scriptDir, pythonPath;
try
{
    lib = Arg(args, "--python-lib", Environment.GetEnvironmentVariable("SBI_PARITY_PYTHON_LIB"));
    scriptDir = Arg(args, "--script-dir");
    pythonPath = Arg(args, "--python-path", "");
}
catch (ArgumentException e) { Fail(e.Message, 2); return; }

StreamWriter replies;
dynamic handler;
try
{
    Runtime.PythonDLL = lib;
    PythonEngine.Initialize();
    using (Py.GIL())
    {
        dynamic sys = Py.Import("sys");
        // Prepended in order, so the harness's own module and the reference sources win over site-packages.
        var dirs = new[] { scriptDir }.Concat(pythonPath.Split(':', StringSplitOptions.RemoveEmptyEntries)).Reverse();
        foreach (var d in dirs) sys.path.insert(0, d);
        handler = Py.Import("sbi_parity");
        int fd = (int)handler.redirect_stdout();
        replies = new StreamWriter(new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write), new UTF8Encoding(false));
        string versions = handler.handle("{\"case\": \"versions\"}");
        // The versions reply is also the readiness signal; an import failure of sbi comes back as ok=false here.
        replies.Write("{\"hello\": true, " + versions.TrimStart().Substring(1) + "\n");
        replies.Flush();
    }
}
catch (Exception e)
{
    Fail($"Python could not be started with {lib}: {e}", 2);
    return;
}

PythonEngine.BeginAllowThreads();
var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
while (stdin.ReadLine() is { } line)
{
    if (line.Length == 0) continue;
    string reply;
    using (Py.GIL()) reply = handler.handle(line);
    replies.Write(reply + "\n");
    replies.Flush();
}
return;
