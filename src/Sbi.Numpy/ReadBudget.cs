namespace Sbi.Numpy;

/// <summary>
/// The byte budget of one load (<see cref="ReadLimits.ByteBudget"/> of the file's size), charged for every buffer
/// a reader allocates from the file's claims (decompressed members, array and tensor data, strings) before it
/// allocates it, so a size in a header cannot make the reader allocate more than the budget.
/// </summary>
internal sealed class ReadBudget
{
    private long _used;

    public ReadBudget(ReadLimits limits, long fileBytes, string source)
    {
        Limits = limits;
        Source = source;
        FileBytes = fileBytes;
        Bytes = fileBytes < 0 ? long.MaxValue : limits.ByteBudget(fileBytes);
    }

    public ReadLimits Limits { get; }
    public string Source { get; }
    /// <summary>The file's size, or -1 for a stream of unknown length.</summary>
    public long FileBytes { get; }

    /// <summary>The total bytes this load may materialise.</summary>
    public long Bytes { get; }

    /// <summary>A budget for a stream: sized by its length when it can seek; a stream of unknown length is bounded by
    /// the bytes it really delivers instead (its readers allocate as data arrives), so its budget is unlimited.</summary>
    public static ReadBudget For(Stream stream, ReadLimits? limits, string source)
    {
        var l = (limits ?? ReadLimits.Default).Validated();
        if (stream.CanSeek)
        {
            try { return new ReadBudget(l, Math.Max(0, stream.Length - stream.Position), source); }
            catch (NotSupportedException) { }
        }
        return new ReadBudget(l, -1, source);
    }

    /// <summary>Charges <paramref name="bytes"/> for <paramref name="what"/> (e.g. "member 'a.npy'"); throws a
    /// <see cref="ReadLimitException"/> when the load's total would pass the budget.</summary>
    public void Charge(long bytes, string what)
    {
        if (bytes < 0) throw new SbiDataException(Source, $"{what} claims a negative size ({bytes} bytes)");
        long total = _used + bytes;
        if (total < 0 || total > Bytes)
            throw new ReadLimitException(Source,
                $"the data materialised from this file of {FileBytes} bytes (with {what}: {bytes} bytes)",
                nameof(ReadLimits.MaxExpansionRatio),
                total < 0 ? "more than 2^63 bytes" : $"{total} bytes",
                $"{Limits.MaxExpansionRatio} (a budget of {Bytes} bytes here; ReadLimits.{nameof(ReadLimits.MinByteBudget)} = {Limits.MinByteBudget} is the floor)");
        _used = total;
    }
}
