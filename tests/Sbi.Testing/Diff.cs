using static TorchSharp.torch;

namespace Sbi.Testing;

/// <summary>Error measures in float64. Infinities must sit at the same places with the same sign (then they count as 0).</summary>
public static class Diff
{
    /// <summary>max |a − b|; +inf when the infinities of a and b differ; 0 for empty inputs.</summary>
    public static double MaxAbs(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Align(a, b);
        if (!x.isinf().eq(y.isinf()).all().item<bool>() || !x.isinf().logical_and(x.ne(y)).logical_not().all().item<bool>())
            return double.PositiveInfinity;
        if (x.isnan().any().item<bool>() || y.isnan().any().item<bool>()) return double.NaN;
        var finite = x.isfinite();
        return x.numel() == 0 || !finite.any().item<bool>() ? 0 : (x - y).abs().masked_select(finite).max().item<double>();
    }

    /// <summary>max |a − b| / |b| over entries with b ≠ 0 (|a − b| where b = 0).</summary>
    public static double MaxRel(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Align(a, b);
        var scale = y.abs();
        scale = where(scale.gt(0), scale, ones_like(scale));
        return ((x - y).abs() / scale).max().item<double>();
    }

    /// <summary>The largest finite |a| (0 when there is none): the scale of a reduction's terms.</summary>
    public static double MaxAbsValue(Tensor a)
    {
        using var scope = NewDisposeScope();
        var x = a.detach().cpu().to(ScalarType.Float64);
        var finite = x.isfinite();
        return x.numel() == 0 || !finite.any().item<bool>() ? 0 : x.abs().masked_select(finite).max().item<double>();
    }

    /// <summary>|a − b| / |b| for scalars.</summary>
    public static double Rel(double a, double b) => Math.Abs(a - b) / (b == 0 ? 1 : Math.Abs(b));

    private static (Tensor, Tensor) Align(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"shapes differ: ({string.Join(", ", a.shape)}) vs ({string.Join(", ", b.shape)})");
        return (a.detach().cpu().to(ScalarType.Float64), b.detach().cpu().to(ScalarType.Float64));
    }
}
