using System.Diagnostics;
using NUnit.Framework;

namespace Sbi.Numpy.Tests;

/// <summary>Runs Debian's /usr/bin/python3 in a separate process (never in-process with TorchSharp's libtorch).</summary>
internal static class PythonProcess
{
    public const string Exe = "/usr/bin/python3";

    /// <summary>Runs <paramref name="code"/> with numpy imported as np; returns stdout. Ignores the test
    /// when python3 or numpy is absent.</summary>
    public static string RunNumpy(string code, params string[] args)
    {
        if (!File.Exists(Exe)) Assert.Ignore($"{Exe} not found; numpy cross-check skipped");
        var psi = new ProcessStartInfo(Exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import sys\ntry:\n    import numpy as np\nexcept ImportError:\n    print('NO_NUMPY'); sys.exit(0)\n" + code);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var o = stdout.Result;
        if (o.StartsWith("NO_NUMPY", StringComparison.Ordinal)) Assert.Ignore("numpy not importable by /usr/bin/python3; cross-check skipped");
        Assert.That(p.ExitCode, Is.EqualTo(0), "python failed: " + stderr);
        return o.Trim();
    }
}
