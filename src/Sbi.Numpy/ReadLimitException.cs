namespace Sbi.Numpy;

/// <summary>
/// A file goes over one of the <see cref="ReadLimits"/>: the message names the file (and member), the limit, the
/// value found and how to raise the limit for a trusted file.
/// </summary>
public sealed class ReadLimitException : SbiDataException
{
    /// <summary>An error about <paramref name="source"/>: <paramref name="what"/> reached <paramref name="found"/>,
    /// over <c>ReadLimits.<paramref name="limitName"/></c> = <paramref name="limit"/>.</summary>
    public ReadLimitException(string? source, string what, string limitName, object found, object limit)
        : base(source, $"{what} is {found}, over the limit ReadLimits.{limitName} = {limit}; if the file is trusted, " +
                       $"load it with a higher limit, e.g. new ReadLimits {{ {limitName} = ... }} passed to the Load method")
    {
        LimitName = limitName;
    }

    /// <summary>The name of the <see cref="ReadLimits"/> property that was exceeded.</summary>
    public string LimitName { get; }
}
