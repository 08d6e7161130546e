namespace Sbi.Utils;

/// <summary>Where Sbi.Net's warnings and information lines go (stderr by default; set your own sinks).</summary>
public sealed class SbiLog
{
    /// <summary>Receives warnings (sbi's logged/issued warnings). Default: "WARNING: ..." on stderr.</summary>
    public Action<string> Warning { get; init; } = m => Console.Error.WriteLine("WARNING: " + m);

    /// <summary>Receives informational lines (e.g. "converged after N epochs"). Default: stderr.</summary>
    public Action<string> Info { get; init; } = m => Console.Error.WriteLine(m);

    /// <summary>A log that drops everything.</summary>
    public static SbiLog Silent { get; } = new() { Warning = _ => { }, Info = _ => { } };

    /// <summary>The default log (stderr).</summary>
    public static SbiLog Default { get; } = new();
}
