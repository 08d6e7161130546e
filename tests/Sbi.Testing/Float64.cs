using Sbi.Estimators;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Testing;

/// <summary>Float64 reference evaluation of an estimator: the same weights (float32 values, exact in float64) in double precision.</summary>
public static class Float64
{
    /// <summary>Converts <paramref name="estimator"/> in place to float64 (parameters and buffers) and returns it.</summary>
    public static T Convert<T>(T estimator) where T : ConditionalDensityEstimator
    {
        estimator.to(ScalarType.Float64);
        return estimator;
    }

    /// <summary>
    /// A float64 copy of an estimator with the built-in embedding (the architecture rebuilt from its configuration,
    /// the weights copied, then converted); the original is left as it is.
    /// </summary>
    public static ConditionalDensityEstimator Copy(ConditionalDensityEstimator estimator)
    {
        var copy = PosteriorNn.Rebuild(estimator.Config);
        using (var scope = NewDisposeScope()) StateDictLoader.Load(copy, estimator.state_dict(), "float64 copy");
        copy.eval();
        return Convert(copy);
    }

    /// <summary>A tensor as float64 (a copy).</summary>
    public static Tensor D(this Tensor t) => t.to(ScalarType.Float64);
}
