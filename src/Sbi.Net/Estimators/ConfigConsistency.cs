using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// The stored configuration compared with the one its family infers from the stored weights' shapes
/// (<see cref="IEstimatorFamily.InferConfig"/>), before the estimator is rebuilt: a file whose config says
/// <c>hidden_features: 1e9</c> over weights of width 50 is refused at once instead of allocating the claimed size.
/// The generic range checks (<see cref="ConfigBounds"/>) run first, in <see cref="ModelArchive.Read"/>.
/// </summary>
public static class ConfigConsistency
{
    // The fields each built-in family reads off its shapes (the rest are defaults there, so not comparable).
    private static readonly Dictionary<string, string[]> Compared = new(StringComparer.Ordinal)
    {
        ["maf"] = new[] { "D", "C", "hidden_features", "num_transforms", "num_blocks" },
        ["nsf"] = new[] { "D", "C", "hidden_features", "num_transforms", "num_bins" },
        ["mdn"] = new[] { "D", "C", "hidden_features", "num_components" },
        ["made"] = new[] { "D", "C", "hidden_features", "num_components", "num_blocks" },
    };

    /// <summary>Checks <paramref name="stored"/> against the family's inference from <paramref name="stateDict"/>.</summary>
    /// <exception cref="SbiDataException">a compared field disagrees; the message names the field, the stored and the inferred value.</exception>
    public static void Check(EstimatorConfig stored, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!EstimatorFamilies.Contains(stored.Estimator)) return;   // Rebuild names the unknown family
        EstimatorConfig? inferred;
        try { inferred = EstimatorFamilies.Get(stored.Estimator).InferConfig(stateDict, source); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new SbiDataException(source, $"the stored weights do not have the '{stored.Estimator}' layout: {e.Message}", e);
        }
        if (inferred is null) return;   // a family that cannot infer; ConfigBounds and the shape check on load remain
        // A user family's inference is only trusted for the two dimensions every estimator has.
        var fields = Compared.TryGetValue(stored.Estimator, out var f) ? f : new[] { "D", "C" };
        foreach (var field in fields)
        {
            long a = Value(stored, field), b = Value(inferred, field);
            if (a != b)
                throw new SbiDataException(source, $"config_json field \"{field}\" is {a}, but the stored weights of the '{stored.Estimator}' estimator imply {b}.");
        }
    }

    private static long Value(EstimatorConfig c, string field) => field switch
    {
        "D" => c.D,
        "C" => c.C,
        "hidden_features" => c.HiddenFeatures,
        "num_transforms" => c.NumTransforms,
        "num_blocks" => c.NumBlocks,
        "num_bins" => c.NumBins,
        "num_components" => c.NumComponents,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "not a compared field"),
    };
}
