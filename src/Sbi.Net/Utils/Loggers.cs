using Microsoft.Extensions.Logging;

namespace Sbi.Utils;

/// <summary>
/// The logger an Sbi.Net API uses when it is given none. sbi shows its warnings and its information lines
/// ("Neural network successfully converged after N epochs.") on the console whatever the host does, so a caller who
/// passes nothing sees them too: <see cref="Default"/> writes them to standard error. Pass
/// <see cref="Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance"/> to silence a call completely, or the
/// host's own <see cref="ILogger"/> to route them.
/// </summary>
public static class Loggers
{
    /// <summary>Warnings ("WARNING: ...") and information lines on standard error, written at once (<see cref="TextWriterLogger"/>).</summary>
    public static ILogger Default { get; } = new TextWriterLogger();

    /// <summary><paramref name="logger"/>, or <see cref="Default"/> when none was passed.</summary>
    internal static ILogger OrDefault(this ILogger? logger) => logger ?? Default;
}
