using NUnit.Framework;
using Sbi.Parity.Reference;

namespace Sbi.Parity.Tests;

/// <summary>The harness itself: a hang or a crash of the reference fails the request with the host's output and the next request gets a fresh host.</summary>
[Category("Live")]
[NonParallelizable]
public sealed class SbiReferenceTests
{
    private static SbiReference Reference()
    {
        if (!SbiReference.Shared.IsAvailable(out var reason)) Assert.Ignore(reason);
        return SbiReference.Shared;
    }

    [Test]
    public void ReportsVersions()
    {
        var r = Reference();
        Assert.That(r.Versions.Keys, Does.Contain("sbi").And.Contain("torch"));
        TestContext.Out.WriteLine(ParityReport.Versions(r.Versions));
    }

    [Test]
    public void PythonErrorComesBackWithTraceback()
    {
        // The reference is resolved outside the assertion: without one, Reference() skips the test (Assert.Ignore), and an
        // IgnoreException inside Assert.Throws would be reported as the wrong exception instead.
        var r = Reference();
        var e = Assert.Throws<ReferenceException>(() => r.Request("no_such_case"));
        Assert.That(e!.Details, Does.Contain("unknown case"));
    }

    [Test]
    public void TimeoutKillsTheHostAndTheNextRequestRestartsIt()
    {
        var r = Reference();
        var e = Assert.Throws<ReferenceException>(() => r.Request("debug_sleep", new { seconds = 60 }, timeout: TimeSpan.FromSeconds(2)));
        Assert.That(e!.Message, Does.Contain("did not answer"));
        Assert.That(r.Request("versions").Versions, Does.ContainKey("sbi"));
    }

    [Test]
    public void CrashFailsWithTheHostsStderr()
    {
        var r = Reference();
        var e = Assert.Throws<ReferenceException>(() => r.Request("debug_exit", new { code = 3 }, timeout: TimeSpan.FromSeconds(60)));
        Assert.That(e!.Message, Does.Contain("exit code 3").And.Contain("debug_exit: leaving the process"));
        Assert.That(r.Request("versions").Versions, Does.ContainKey("sbi"));
    }
}
