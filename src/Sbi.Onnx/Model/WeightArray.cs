namespace Sbi.Onnx.Model;

/// <summary>
/// One state-dict entry: a dense row-major array with its shape. Float arrays (weights, biases, masks,
/// z-score buffers) are kept as float32, integer arrays (permutations, degrees, feature lists) as int64,
/// exactly as sbi stores them.
/// </summary>
public sealed class WeightArray
{
    private WeightArray(long[] shape, float[]? floats, long[]? ints)
    {
        Shape = shape;
        Floats = floats;
        Ints = ints;
        long n = 1;
        foreach (var d in shape) n *= d;
        int count = floats?.Length ?? ints!.Length;
        if (n != count) throw new ArgumentException($"Array has {count} values but shape [{string.Join(",", shape)}] holds {n}.");
    }

    /// <summary>Shape (empty for a 0-d scalar).</summary>
    public long[] Shape { get; }

    /// <summary>float32 data, or null for an integer array.</summary>
    public float[]? Floats { get; }

    /// <summary>int64 data, or null for a float array.</summary>
    public long[]? Ints { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Floats?.Length ?? Ints!.Length;

    /// <summary>A float32 array.</summary>
    public static WeightArray FromFloats(float[] data, params long[] shape) => new(shape, data, null);

    /// <summary>An int64 array.</summary>
    public static WeightArray FromInts(long[] data, params long[] shape) => new(shape, null, data);

    /// <summary>The values as float32 (integer arrays are converted).</summary>
    public float[] AsFloats() => Floats ?? Ints!.Select(v => (float)v).ToArray();

    /// <summary>The values as int64 (float arrays must hold integers).</summary>
    public long[] AsInts() => Ints ?? Floats!.Select(v => (long)v).ToArray();

    /// <inheritdoc />
    public override string ToString() => $"{(Floats != null ? "float32" : "int64")}[{string.Join(",", Shape)}]";
}
