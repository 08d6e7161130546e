using System.Collections.Concurrent;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Utils;

/// <summary>
/// TorchSharp Scalars that stay reachable for as long as libtorch reads them.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns a .NET number into a finalizable <see cref="Scalar"/> that no dispose scope tracks; when
/// it is passed straight on (<c>t.clamp_max(1.0)</c>, or TorchSharp's own <c>a + b</c> → <c>add(b, 1)</c>), nothing
/// references the object once its native handle has been read, so a GC started by another thread during the native
/// call may finalize it and free the <c>c10::Scalar</c> that libtorch is reading. CI hit this once: <c>clamp_max</c>
/// inside gradient clipping failed with "Expected false to be true" from <c>c10::Scalar::toDouble</c>. (TorchSharp
/// pull requests #1434 and #1496, open at 0.107, dispose these temporaries eagerly, which would not close the race
/// either.) The library therefore passes only Scalars held here, in static fields, or in <c>using</c> locals; the
/// test <c>ScalarLifetimeTests</c> scans the compiled library for any other.
/// Each helper calls exactly the libtorch op TorchSharp's operator would, with the same Scalar type (an integer stays
/// an integer), so results are bitwise those of the operator it replaces.
/// </remarks>
internal static class Scalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> Integers = new();

    /// <summary>The integer 1, the <c>alpha</c> TorchSharp passes for a plain <c>add</c>.</summary>
    public static readonly Scalar One = 1;

    private static readonly Scalar SoftplusBeta = 1.0, SoftplusThreshold = 20.0;

    // TorchSharp's softplus(double, double) converts both numbers inside; its Scalar overload is private. Bound once,
    // so a TorchSharp that renamed it fails at first use with this message rather than silently changing the op.
    private static readonly Func<Tensor, Scalar, Scalar, Tensor> SoftplusOp =
        typeof(Tensor).GetMethod("softplus1", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(Scalar), typeof(Scalar)])
            ?.CreateDelegate<Func<Tensor, Scalar, Scalar, Tensor>>()
        ?? throw new MissingMethodException("TorchSharp's Tensor.softplus1(Scalar, Scalar) is gone; update Sbi.Utils.Scalars.Softplus.");

    /// <summary>A Scalar for a constant double, kept for the life of the process (use for a few distinct constants).</summary>
    public static Scalar Of(double value) => Doubles.GetOrAdd(value, v => v);

    /// <summary>A Scalar for a constant integer, kept for the life of the process.</summary>
    public static Scalar Of(long value) => Integers.GetOrAdd(value, v => v);

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a + s</c>.</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, One);

    /// <summary><c>s - a</c> the way TorchSharp's operator computes it (−a + s).</summary>
    public static Tensor SubtractedFrom(this Tensor a, Scalar s) => a.negative().add(s, One);

    /// <summary><c>a += b</c> in place.</summary>
    public static Tensor AddInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>a.square()</c> (TorchSharp's is <c>pow(2)</c>).</summary>
    public static Tensor Squared(this Tensor a) => a.pow(Of(2));

    /// <summary><c>nn.functional.softplus(x)</c> with torch's defaults β = 1, threshold = 20.</summary>
    public static Tensor Softplus(Tensor x) => SoftplusOp(x, SoftplusBeta, SoftplusThreshold);
}
