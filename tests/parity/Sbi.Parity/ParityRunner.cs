using Sbi.Parity.Checks;
using Sbi.Parity.Data;
using Sbi.Parity.Reference;

namespace Sbi.Parity;

/// <summary>Runs one case in one mode and turns every way it can end into result rows (never throws for a case).</summary>
public static class ParityRunner
{
    public static IReadOnlyList<CaseResult> Run(ParityCase c, ParityMode mode, ParitySources sources)
    {
        string source = mode == ParityMode.Recorded ? "recorded" : "live";
        if (!c.Supports(mode))
            return new[] { CaseResult.Skip(c.Id, source, mode == ParityMode.Recorded ? "live-only case" : "recorded-only case") };
        if (!EstimatorLoader.IsSupported(c.Estimator, out var missing))
            return new[] { CaseResult.Skip(c.Id, source, missing) };
        if (mode == ParityMode.Live && !sources.Reference.IsAvailable(out var reason))
            return new[] { CaseResult.Skip(c.Id, source, reason) };
        ArrayBundle bundle;
        try
        {
            bundle = mode == ParityMode.Recorded ? c.Recorded!(sources) : c.Live!(sources);
        }
        catch (Exception e) when (e is ReferenceException or IOException or InvalidDataException)
        {
            return new[] { CaseResult.Failed(c.Id, source, "sbi side", e.Message) };
        }
        try
        {
            return c.Check(sources, bundle);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A Sbi.Net exception (or a reference failure inside the check) is a failed case, with the details.
            return new[] { CaseResult.Failed(c.Id, bundle.Origin, "Sbi.Net side", e.ToString()) };
        }
    }
}
