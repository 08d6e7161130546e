using Sbi.Utils;

namespace Sbi.Cli;

/// <summary>Where a command writes: its results to <see cref="Out"/>, progress, warnings and errors to <see cref="Err"/>.</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error)
    {
        Out = output;
        Err = error;
        Log = new SbiLog { Warning = m => error.WriteLine("WARNING: " + m), Info = m => error.WriteLine(m) };
    }

    /// <summary>Results (tables, "wrote FILE").</summary>
    public TextWriter Out { get; }

    /// <summary>Progress, warnings and errors.</summary>
    public TextWriter Err { get; }

    /// <summary>The library's warnings and messages, to <see cref="Err"/>.</summary>
    public SbiLog Log { get; }
}
