using NUnit.Framework;
using Sbi.Parity.Reference;

namespace Sbi.Parity.Tests;

/// <summary>Discovery of the Python reference through environment variables (no Python is started here).</summary>
[NonParallelizable]
public sealed class ReferenceSettingsTests
{
    [Test]
    public void EnvironmentVariablesWinAndAMissingLibraryIsReported()
    {
        var saved = (Environment.GetEnvironmentVariable(ReferenceSettings.LibVariable), Environment.GetEnvironmentVariable(ReferenceSettings.PathVariable));
        try
        {
            Environment.SetEnvironmentVariable(ReferenceSettings.LibVariable, "/nonexistent/libpython9.9.so");
            Environment.SetEnvironmentVariable(ReferenceSettings.PathVariable, "/a:/b");
            Assert.That(ReferenceSettings.Discover(out var reason), Is.Null);
            Assert.That(reason, Does.Contain("/nonexistent/libpython9.9.so").And.Contain("does not exist"));

            var lib = Path.GetTempFileName();
            Environment.SetEnvironmentVariable(ReferenceSettings.LibVariable, lib);
            var s = ReferenceSettings.Discover(out _);
            Assert.That(s, Is.Not.Null);
            Assert.That((s!.PythonLib, s.PythonPath), Is.EqualTo((lib, "/a:/b")));
            File.Delete(lib);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ReferenceSettings.LibVariable, saved.Item1);
            Environment.SetEnvironmentVariable(ReferenceSettings.PathVariable, saved.Item2);
        }
    }

    /// <summary>A set SBI_PARITY_SETTINGS naming a missing file hides every other settings file (the suite then runs as without Python).</summary>
    [Test]
    public void MissingExplicitSettingsFileHidesTheReference()
    {
        var saved = (Environment.GetEnvironmentVariable(ReferenceSettings.LibVariable), Environment.GetEnvironmentVariable(ReferenceSettings.SettingsVariable));
        try
        {
            Environment.SetEnvironmentVariable(ReferenceSettings.LibVariable, null);
            Environment.SetEnvironmentVariable(ReferenceSettings.SettingsVariable, "/nonexistent/sbi-parity.json");
            Assert.That(ReferenceSettings.SettingsFiles(), Is.EqualTo(new[] { "/nonexistent/sbi-parity.json" }));
            Assert.That(ReferenceSettings.Discover(out var reason), Is.Null);
            Assert.That(reason, Does.Contain("no Python reference configured"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ReferenceSettings.LibVariable, saved.Item1);
            Environment.SetEnvironmentVariable(ReferenceSettings.SettingsVariable, saved.Item2);
        }
    }
}
