using Microsoft.Extensions.Logging;
using Sbi.Utils;

namespace Sbi.Cli;

/// <summary>Where a command writes: its results to <see cref="Out"/>, progress, warnings and errors to <see cref="Err"/>.</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error)
    {
        Out = output;
        Err = error;
        Logger = new TextWriterLogger(error);
    }

    /// <summary>Results (tables, "wrote FILE").</summary>
    public TextWriter Out { get; }

    /// <summary>Progress, warnings and errors.</summary>
    public TextWriter Err { get; }

    /// <summary>
    /// Whether <see cref="Err"/> is the process's standard error and that is a terminal: only then are progress bars
    /// drawn (a redirected stream, a file or a test's writer gets plain lines).
    /// </summary>
    public bool ErrIsTerminal => ReferenceEquals(Err, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>
    /// The library's warnings ("WARNING: ...") and information lines, one line each to <see cref="Err"/> as they happen
    /// (so they stay in order with the progress lines written there).
    /// </summary>
    public ILogger Logger { get; }
}
