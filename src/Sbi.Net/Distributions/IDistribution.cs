using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>
/// A distribution over D-dimensional parameters, usable as an sbi prior. Implement it for a custom prior:
/// <see cref="Sample"/>, <see cref="IDensity.LogProb"/> (−inf outside the support, never an exception) and
/// <see cref="WithinSupport"/> are what NPE-B and <c>DirectPosterior</c> use.
/// </summary>
public interface IDistribution : IDensity
{
    /// <summary>Number of parameters D.</summary>
    int Dim { get; }

    /// <summary>Draws <paramref name="n"/> samples, shape (n, D), float32, from the global torch generator.</summary>
    Tensor Sample(long n);

    /// <summary>Boolean tensor (n): whether each row of theta (n, D) lies in the support.</summary>
    Tensor WithinSupport(Tensor theta);

    /// <summary>Mean, shape (D).</summary>
    Tensor Mean { get; }

    /// <summary>Standard deviation, shape (D).</summary>
    Tensor Stddev { get; }

    /// <summary>The device the distribution's tensors live on.</summary>
    Device Device { get; }
}
