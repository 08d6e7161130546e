using NUnit.Framework;
using Sbi.Parity.Reference;

namespace Sbi.Parity.Tests;

/// <summary>
/// Assembly-wide state: one source cache and one Python reference per test run. The reference host starts on the
/// first live case and is stopped here, so no Python process outlives the run.
/// </summary>
[SetUpFixture]
public sealed class ParityRun
{
    private static readonly Lazy<ParitySources> SourcesInstance = new(() => new ParitySources(SbiReference.Shared));

    public static ParitySources Sources => SourcesInstance.Value;

    [OneTimeTearDown]
    public void StopReference()
    {
        if (SbiReference.SharedCreated) SbiReference.Shared.Dispose();
    }
}
