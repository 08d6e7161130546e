namespace Sbi.Numpy;

/// <summary>
/// The bounds the readers (<see cref="Npy"/>, <see cref="NpzFile"/>, <see cref="TorchPt"/>,
/// <see cref="Pickle.PickleReader"/>) hold a file to, so that a hostile or corrupt file fails with a
/// <see cref="ReadLimitException"/> instead of exhausting the stack, memory or CPU. The defaults keep any file under
/// 1 MB within about 100 MB of memory and a second of CPU while loading files of any legitimate size (hundreds of MB
/// of float data load: the byte budget grows with the file). Raise a limit for a trusted file with
/// <c>new ReadLimits { MaxNestingDepth = 1000 }</c> (a <c>with</c> expression on <see cref="Default"/> works too) and
/// pass it to the Load method.
/// </summary>
public sealed record ReadLimits
{
    /// <summary>The limits used when a Load method is given none.</summary>
    public static ReadLimits Default { get; } = new();

    /// <summary>Deepest nesting of containers (tuples, lists, dicts, sets) in a pickle. torch state dicts nest
    /// 2-4 deep; the bound exists so that no consumer that walks the result recursively can overflow its stack.
    /// Default 100.</summary>
    public int MaxNestingDepth { get; init; } = 100;

    /// <summary>Values a pickle may produce, counted every time a value is placed in a container and, in the
    /// check of the finished result, every time a shared reference is reached again (a list holding the same list
    /// twice, nested 40 deep, is 2^40 values to anyone who walks it). Default 1,000,000 (a state dict has a few
    /// thousand).</summary>
    public long MaxPickleValues { get; init; } = 1_000_000;

    /// <summary>Decimal digits of one pickled integer (LONG, LONG1, LONG4; Python itself refuses to convert
    /// more than 4300). Default 4300.</summary>
    public int MaxIntegerDigits { get; init; } = 4300;

    /// <summary>Dimensions of one array or tensor (numpy's own maximum is 64). Default 64.</summary>
    public int MaxDimensions { get; init; } = 64;

    /// <summary>Bytes of one <c>.npy</c> header (numpy's <c>np.load</c> refuses more than 10,000 by default).
    /// Default 100,000.</summary>
    public int MaxNpyHeaderBytes { get; init; } = 100_000;

    /// <summary>How many bytes a load may materialise (decompressed zip members, array data, tensor data,
    /// strings) per byte of the file: the budget is the larger of <c>MaxExpansionRatio × file size</c> and
    /// <see cref="MinByteBudget"/>. A stored (uncompressed) file materialises about twice its size (the
    /// members, then the tensors built from them); numpy float data compresses by less than 2. Default 8.</summary>
    public double MaxExpansionRatio { get; init; } = 8;

    /// <summary>The byte budget of a load whatever the file's size (the floor under
    /// <see cref="MaxExpansionRatio"/>), so that small, highly compressible files (an array of zeros) load.
    /// Default 64 MiB.</summary>
    public long MinByteBudget { get; init; } = 64L << 20;

    /// <summary>The byte budget of a load from a file or stream of <paramref name="fileBytes"/> bytes.</summary>
    public long ByteBudget(long fileBytes)
    {
        double scaled = MaxExpansionRatio * Math.Max(0, fileBytes);
        return scaled >= long.MaxValue ? long.MaxValue : Math.Max(MinByteBudget, (long)scaled);
    }

    /// <summary>Checks that every limit is positive.</summary>
    /// <exception cref="ArgumentException">a limit is zero, negative or NaN.</exception>
    internal ReadLimits Validated()
    {
        if (MaxNestingDepth <= 0) throw Bad(nameof(MaxNestingDepth), MaxNestingDepth);
        if (MaxPickleValues <= 0) throw Bad(nameof(MaxPickleValues), MaxPickleValues);
        if (MaxIntegerDigits <= 0) throw Bad(nameof(MaxIntegerDigits), MaxIntegerDigits);
        if (MaxDimensions <= 0) throw Bad(nameof(MaxDimensions), MaxDimensions);
        if (MaxNpyHeaderBytes <= 0) throw Bad(nameof(MaxNpyHeaderBytes), MaxNpyHeaderBytes);
        if (!(MaxExpansionRatio > 0)) throw Bad(nameof(MaxExpansionRatio), MaxExpansionRatio);
        if (MinByteBudget <= 0) throw Bad(nameof(MinByteBudget), MinByteBudget);
        return this;
    }

    private static ArgumentException Bad(string name, object value) =>
        new($"ReadLimits.{name} must be positive, found {value}", "limits");
}
