using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Cli;

/// <summary>
/// --x-iid FILE: k independent observations of the same θ in one .npy file, one per row, conditioned on together
/// (sbi's iid x: the posterior potential is Σᵢ log q(θ | xᵢ) − (k − 1)·log p(θ), sbi/inference/potentials/
/// posterior_based_potential.py). Only MCMC samples that potential; the other posteriors sample a density of one x.
/// </summary>
internal static class IidObservations
{
    public const string Option = "--x-iid";

    /// <summary>
    /// Reads the file as (k, *<paramref name="xShape"/>): a 2-D (k, C) array or (k, *x_shape), or a 1-D array of C values
    /// (one observation). Any other shape is a usage error that says what was expected.
    /// </summary>
    public static Tensor Read(string path, long[] xShape)
    {
        var a = Npy.Read(path);
        long count = xShape.Aggregate(1L, (p, s) => p * s);
        string expected = $"(k, {count}) for k observations of the model's x (shape ({string.Join(", ", xShape)}))";
        string got = $"({string.Join(", ", a.Shape)})";
        if (a.Shape.Length == 0) throw new UsageException($"{Option} '{path}' holds a single number; expected an array of shape {expected}");
        long rows = a.Shape.Length == 1 ? 1 : a.Shape[0];
        long width = a.Shape.Length == 1 ? a.Shape[0] : a.Shape.Skip(1).Aggregate(1L, (p, s) => p * s);
        if (rows == 0) throw new UsageException($"{Option} '{path}' has shape {got}: no observations; expected {expected}");
        if (width != count)
            throw new UsageException($"{Option} '{path}' has shape {got}: rows of {width} value(s), but the model's x has {count}; expected {expected}");
        using var t = a.ToTensor().to(ScalarType.Float32);
        if (!t.isfinite().all().item<bool>()) throw new SbiDataException(path, $"{Option}: the observations are not all finite.");
        return t.reshape([rows, .. xShape]);
    }
}
