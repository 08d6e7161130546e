using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Utils;

/// <summary>Argument checks that name the argument, the expectation and what was actually passed.</summary>
internal static class Guard
{
    public static void Positive(long value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}.");
    }

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsNaN(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}.");
    }

    public static void Finite(Tensor t, string name)
    {
        using var scope = NewDisposeScope();
        if (!t.isfinite().all().item<bool>())
        {
            long bad = (~t.isfinite()).sum().item<long>();
            throw new ArgumentException($"{name} must be finite; it has {bad} NaN or infinite entries.", name);
        }
    }

    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
