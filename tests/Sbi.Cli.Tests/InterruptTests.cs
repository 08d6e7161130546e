using System.Diagnostics;
using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>Ctrl-C during `sbi-net train`, in a real child process: exit 130, the best weights saved to --out, and the file loads.</summary>
public class InterruptTests
{
    /// <summary>Whether SIGINT (signal 2, bit 1 of the mask) is ignored by this process (/proc/self/status SigIgn).</summary>
    private static bool SigintIgnoredHere()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;
    }

    [Test]
    [CancelAfter(120_000)]
    public void SigintDuringTrainingSavesTheBestWeightsAndExits130()
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/kill")) Assert.Ignore("sends SIGINT with /bin/kill");
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "sbi-net.dll");
        if (!File.Exists(dll)) Assert.Fail($"{dll} is missing: the project reference to Sbi.Cli copies it beside the tests");
        using var w = new Workspace();
        // Enough rows that an epoch takes a while and early stopping is far away when the signal comes.
        var (theta, x) = w.Simulations(4000, 4000);
        var model = w["m.npz"];
        var command = new List<string> { "dotnet", dll, "train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", model, "--batch-size", "20" };
        if (SigintIgnoredHere())
        {
            // A test run started in the background by a non-interactive shell ignores SIGINT, and a child inherits
            // that (the CLI rightly keeps a parent's choice). Reset it to the default for the child only.
            if (!File.Exists("/usr/bin/python3")) Assert.Ignore("SIGINT is ignored in this test process and no python3 is here to reset it for the child");
            command.InsertRange(0, new[] { "/usr/bin/python3", "-c",
                "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])" });
        }
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        var stderr = new System.Text.StringBuilder();
        var stdout = new System.Text.StringBuilder();
        var firstEpoch = new ManualResetEventSlim();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.StartsWith("epoch 1:", StringComparison.Ordinal)) firstEpoch.Set();
        };
        child.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        child.BeginErrorReadLine();
        child.BeginOutputReadLine();
        try
        {
            Assert.That(firstEpoch.Wait(TimeSpan.FromSeconds(90)), Is.True, () => $"no epoch line; stderr:\n{stderr}");
            Assert.That(child.HasExited, Is.False, () => $"training finished before the signal; stdout:\n{stdout}");
            using (var kill = Process.Start("/bin/kill", ["-INT", child.Id.ToString()])) kill.WaitForExit();
            Assert.That(child.WaitForExit(60_000), Is.True, "the child did not stop after SIGINT");
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
        child.WaitForExit();
        string err;
        lock (stderr) err = stderr.ToString();
        Assert.That(child.ExitCode, Is.EqualTo(130), err);
        Assert.That(err, Does.Contain($"saved the best weights so far to {model}"));
        Assert.That(err, Does.Not.Contain("   at "));
        var posterior = Sbi.IO.ModelFile.Load(model);
        Assert.That(posterior.PosteriorEstimator.Config.D, Is.EqualTo(2));
    }
}
