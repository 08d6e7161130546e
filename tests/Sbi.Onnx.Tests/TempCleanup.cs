using NUnit.Framework;

namespace Sbi.Onnx.Tests;

/// <summary>Removes the exported test packages (under the temp directory) after the run.</summary>
[SetUpFixture]
public class TempCleanup
{
    [OneTimeTearDown]
    public void RemovePackages()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-tests-" + Environment.ProcessId);
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { /* best effort: a package may still be memory-mapped on some platforms */ }
    }
}
