using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// The check that weights are finite, run on load (model files, state dicts), before sampling and in the fused
/// sampler: a NaN or infinite weight gives NaN densities on the module path but finite, wrong samples through
/// kernels that clamp or branch, so it is refused where it enters, naming the first bad tensor.
/// </summary>
public static class FiniteWeights
{
    /// <summary>The first tensor (in the given order) holding a NaN or ±inf, with its count of such values; null when all are finite.</summary>
    public static (string Key, long Count)? FirstNonFinite(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (key, t) in tensors)
        {
            if (!t.is_floating_point()) continue;
            var bad = t.isfinite().logical_not();
            if (bad.any().item<bool>()) return (key, bad.sum().item<long>());
        }
        return null;
    }

    /// <summary>Throws <see cref="SbiDataException"/> naming <paramref name="source"/> and the first non-finite tensor.</summary>
    public static void Require(IEnumerable<KeyValuePair<string, Tensor>> tensors, string source)
    {
        if (FirstNonFinite(tensors) is { } bad)
            throw new SbiDataException(source, $"weight '{bad.Key}' holds {bad.Count} non-finite value(s) (NaN or ±inf); expected finite weights. The estimator cannot be used.");
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> when the live estimator's parameters or buffers are not finite.</summary>
    public static void RequireLive(nn.Module estimator, string operation)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        if (FirstNonFinite(estimator.state_dict()) is { } bad)
            throw new InvalidOperationException($"{operation}: the estimator's weight '{bad.Key}' holds {bad.Count} non-finite value(s) (NaN or ±inf); " +
                                                "its samples and densities would be meaningless. Retrain it or load finite weights.");
    }
}
