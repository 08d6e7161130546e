using NumSharp;
using Sbi.Posteriors;
using static TorchSharp.torch;

namespace Sbi.NumSharp;

/// <summary>
/// Posterior samples and log-probabilities as NumSharp arrays: <see cref="IPosterior"/>'s <c>Sample</c>,
/// <c>SampleBatched</c> and <c>LogProb</c> with observations and parameters given as arrays (float32 or float64, cast
/// to float32 by the posterior as for tensors) and results returned as float32 arrays that share the result tensor's
/// storage (no copy for a CPU posterior; one for a posterior on another device).
/// </summary>
public static class PosteriorNDArrays
{
    /// <summary><paramref name="n"/> samples (n, D) at <paramref name="x"/>, or at the default x when it is null.</summary>
    /// <param name="posterior">Any posterior.</param>
    /// <param name="n">Number of samples.</param>
    /// <param name="x">The observation (1, *x_shape), or null for the default x.</param>
    public static NDArray SampleNDArray(this IPosterior posterior, long n, NDArray? x = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        using var scope = NewDisposeScope();
        return NDArrayTensors.ToNDArray(posterior.Sample(n, Optional(x, nameof(x))), "samples");
    }

    /// <summary>sbi's <c>sample_batched</c>: <paramref name="n"/> samples for each of the B observations; returns (n, B, D).</summary>
    /// <param name="posterior">Any posterior.</param>
    /// <param name="n">Samples per observation.</param>
    /// <param name="xs">The observations (B, *x_shape).</param>
    public static NDArray SampleBatchedNDArray(this IPosterior posterior, long n, NDArray xs)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        using var scope = NewDisposeScope();
        return NDArrayTensors.ToNDArray(posterior.SampleBatched(n, NDArrayTensors.ToTensor(xs, nameof(xs))), "samples");
    }

    /// <summary>The posterior log-density of the rows of <paramref name="theta"/> (n, D) at <paramref name="x"/> (or the default x); returns (n).</summary>
    /// <param name="posterior">Any posterior.</param>
    /// <param name="theta">Parameters (n, D).</param>
    /// <param name="x">The observation (1, *x_shape), or null for the default x.</param>
    public static NDArray LogProbNDArray(this IPosterior posterior, NDArray theta, NDArray? x = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        using var scope = NewDisposeScope();
        return NDArrayTensors.ToNDArray(posterior.LogProb(NDArrayTensors.ToTensor(theta, nameof(theta)), Optional(x, nameof(x))), "log-probabilities");
    }

    private static Tensor? Optional(NDArray? x, string argument) => x is null ? null : NDArrayTensors.ToTensor(x, argument);
}
