using NUnit.Framework;

namespace Sbi.Parity.Tests;

/// <summary>
/// The same cases against the real sbi, run now through the Python host (fresh seeds, same recipes). Ignored with
/// the reason where no Python with an importable sbi is configured (see ReferenceSettings).
/// </summary>
[Category("Live")]
public sealed class LiveParityTests
{
    private static IEnumerable<ParityCase> Cases => ParityCatalog.All.Where(c => c.Supports(ParityMode.Live) && !c.Slow);

    private static IEnumerable<ParityCase> SlowCases => ParityCatalog.All.Where(c => c.Supports(ParityMode.Live) && c.Slow);

    [TestCaseSource(nameof(Cases))]
    public void Live(ParityCase c) => ParityAssert.Run(c, ParityMode.Live);

    /// <summary>Full trainings on both sides (minutes each): run on request, e.g. dotnet test --filter Category=Slow.</summary>
    [Explicit("trains sbi and Sbi.Net from scratch; minutes per case")]
    [Category("Slow")]
    [TestCaseSource(nameof(SlowCases))]
    public void Statistical(ParityCase c) => ParityAssert.Run(c, ParityMode.Live);
}
