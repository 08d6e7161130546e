using System.Numerics;

namespace Sbi.Numpy.Pickle;

/// <summary>
/// Equality of pickle dict keys, set items and memo keys with per-process randomised hashes of all the bits of numbers.
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
        long l => Hash(l),
        // equal doubles hash alike: 0.0 and -0.0 are Equal, and so are all NaNs in .NET
        double d => Hash(d == 0 ? 0 : double.IsNaN(d) ? long.MinValue : BitConverter.DoubleToInt64Bits(d)),
        BigInteger b => HashBytes(b),
        _ => o.GetHashCode(),
    };

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long l) => Hash(l);

    // HashCode.Combine(l) would mix only l.GetHashCode(), which is the folded value: add both halves instead
    private static int Hash(long l)
    {
        var h = new HashCode();
        h.Add((int)l);
        h.Add((int)(l >> 32));
        return h.ToHashCode();
    }

    private static int HashBytes(BigInteger b)
    {
        var h = new HashCode();
        h.AddBytes(b.ToByteArray());
        return h.ToHashCode();
    }
}
