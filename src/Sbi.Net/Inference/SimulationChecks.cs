using Microsoft.Extensions.Logging;
using System.Globalization;
using Sbi.Distributions;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// The warnings <c>AppendSimulations</c> gives about data that trains badly but may be deliberate: θ outside the
/// prior's support (its posterior mass would lie where rejection sampling never accepts, so sampling such a model
/// stalls) and constant θ or x columns (z-scoring divides by their zero spread and the estimator learns nothing there).
/// </summary>
internal static class SimulationChecks
{
    /// <summary>Warns with the count and the first row of θ outside the prior's support.</summary>
    public static void WarnOutsideSupport(IDistribution prior, Tensor theta, ILogger logger)
    {
        using var scope = NewDisposeScope();
        var outside = Support.Within(prior, theta).logical_not();
        long count = outside.sum().item<long>();
        if (count == 0) return;
        long row = outside.nonzero()[0, 0].item<long>();
        logger.LogWarning(LogEvents.Simulations, $"{count} of {theta.shape[0]} theta rows lie outside the prior's support (e.g. row {row}: {Row(theta, row)}). " +
                    "The trained posterior may then put mass where the prior is zero, and sampling it with rejectOutsidePrior stalls; " +
                    "check the prior and the simulator's parameters.");
    }

    /// <summary>Warns naming the columns of <paramref name="data"/> (n, k) that take one value in every row (for n ≥ 2).</summary>
    public static void WarnConstantColumns(Tensor data, string name, ILogger logger)
    {
        if (data.shape[0] < 2) return;
        using var scope = NewDisposeScope();
        // NaN rows (kept with excludeInvalidX: false) make max/min NaN, so such a column is not reported as constant.
        var constant = data.amax(0).eq(data.amin(0));
        var cols = constant.nonzero().reshape(-1).cpu().data<long>().ToArray();
        if (cols.Length == 0) return;
        string shown = string.Join(", ", cols.Take(10)) + (cols.Length > 10 ? ", ..." : "");
        logger.LogWarning(LogEvents.Simulations, $"{cols.Length} column(s) of {name} are constant over the {data.shape[0]} appended rows (column(s) {shown}). " +
                    $"z-scoring divides by their zero spread and the estimator cannot learn from them; drop them or check the simulator.");
    }

    /// <summary>One row as "[a, b, …]" for messages.</summary>
    public static string Row(Tensor t, long row)
    {
        var v = t[row].cpu().to(ScalarType.Float64).data<double>().ToArray();
        return "[" + string.Join(", ", v.Take(10).Select(d => d.ToString("G6", CultureInfo.InvariantCulture))) + (v.Length > 10 ? ", ..." : "") + "]";
    }
}
