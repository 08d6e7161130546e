using NUnit.Framework;
using Sbi.Parity.Checks;

namespace Sbi.Parity.Tests;

/// <summary>Maps a case's result rows to NUnit outcomes: any skip row ignores, any fail row fails (with the table).</summary>
internal static class ParityAssert
{
    public static void Run(ParityCase c, ParityMode mode)
    {
        var results = ParityRunner.Run(c, mode, ParityRun.Sources);
        TestContext.Out.WriteLine(ParityReport.Table(results));
        var skip = results.FirstOrDefault(r => r.Status == CaseStatus.Skip);
        if (skip is not null) Assert.Ignore(skip.Note);
        var failed = results.Where(r => r.Status == CaseStatus.Fail).ToList();
        if (failed.Count > 0)
            Assert.Fail($"{failed.Count} of {results.Count} checks failed:\n{ParityReport.Table(results)}\n{string.Join("\n", failed.Select(f => f.Note))}");
    }
}
