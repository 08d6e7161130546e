using System.Numerics;

namespace Sbi.Numpy.Pickle;

/// <summary>
/// Equality of pickle dict keys, set items and memo keys with per-process randomised hashes for numbers.
/// <see cref="long.GetHashCode"/> folds the two halves together, so a file could pick thousands of keys with one
/// hash code and make every insertion scan them all (seconds of CPU from a small file); strings are randomised by
/// .NET already, and other keys (tuples) compare by reference as before.
/// </summary>
internal sealed class PickleKeyComparer : IEqualityComparer<object?>, IEqualityComparer<long>
{
    public static readonly PickleKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => object.Equals(x, y);

    public int GetHashCode(object? o) => o switch
    {
        null => 0,
        long l => HashCode.Combine(l),
        double d => HashCode.Combine(d),
        BigInteger b => HashCode.Combine(b),
        _ => o.GetHashCode(),
    };

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long l) => HashCode.Combine(l);
}
