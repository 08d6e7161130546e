using NUnit.Framework;

namespace Sbi.Parity.Tests;

/// <summary>Every case against the committed sbi fixtures: no Python needed, so CI checks parity anywhere.</summary>
public sealed class RecordedParityTests
{
    private static IEnumerable<ParityCase> Cases => ParityCatalog.All.Where(c => c.Supports(ParityMode.Recorded));

    [TestCaseSource(nameof(Cases))]
    public void Recorded(ParityCase c) => ParityAssert.Run(c, ParityMode.Recorded);
}
