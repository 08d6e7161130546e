using static TorchSharp.torch;

namespace Sbi.Testing;

/// <summary>
/// Independent realisations of a computation's rounding errors: its inputs changed by about one unit in the last place
/// (t·(1 + 2u·ξ), ξ uniform in [−1, 1), rounded back to t's precision) redraw every downstream rounding while the exact
/// answer moves only by as much. The largest error over <see cref="Count"/> realisations is a reference that a further
/// realisation (another kernel, another precision scaled by <see cref="Tolerances.Float64FromFloat32"/>) exceeds by more
/// than <see cref="Tolerances.KernelFactor"/> with small probability even where one row dominates: for a Gaussian error of
/// that row, P(|z| &gt; 2·max of 16 |z′|) ≈ 10⁻⁴.
/// </summary>
public static class RoundingRealisations
{
    /// <summary>Realisations per reference measurement.</summary>
    public const int Count = 16;

    /// <summary>Realisation <paramref name="k"/> of an input: the input itself for k = 0, else perturbed as above (seeded by k).</summary>
    public static Tensor Perturb(Tensor t, int k)
    {
        if (k == 0) return t;
        double u = t.dtype == ScalarType.Float64 ? Tolerances.U64 : Tolerances.U32;
        using var g = new TorchSharp.torch.Generator((ulong)(7919 * k + 1));
        using var xi = rand(t.shape, ScalarType.Float64, generator: g) * 2 - 1;
        return (t.to(ScalarType.Float64) * (1 + 2 * u * xi)).to(t.dtype);
    }

    /// <summary>The largest of <paramref name="error"/>(k) over the <see cref="Count"/> realisations k.</summary>
    public static double MaxError(Func<int, double> error) => Enumerable.Range(0, Count).Max(error);
}
