using Microsoft.Extensions.Logging;

namespace Sbi.Utils;

/// <summary>
/// An <see cref="ILogger"/> that writes each message as one line to a <see cref="TextWriter"/> (standard error by
/// default), on the caller's thread, as sbi's warnings and printed lines appear: a warning as "WARNING: message", an
/// error as "ERROR: message", an information line as the message itself. It is <see cref="Loggers.Default"/>, the
/// logger of every Sbi.Net API called without one, and what the <c>sbi-net</c> command writes its stderr with.
/// </summary>
/// <remarks>
/// Synchronous on purpose: Microsoft's console logger queues messages for a background thread, so a warning could
/// appear after the progress line that follows it, or be lost when a process exits without disposing its logger
/// factory (a library never owns one).
/// </remarks>
public sealed class TextWriterLogger : ILogger
{
    private readonly TextWriter? _writer;
    private readonly LogLevel _minimumLevel;
    private readonly object _gate = new();

    /// <summary>
    /// Writes to <paramref name="writer"/>, or to whatever <see cref="Console.Error"/> is at each message when null
    /// (so <see cref="Console.SetError"/> redirects it), the messages at <paramref name="minimumLevel"/> and above.
    /// </summary>
    public TextWriterLogger(TextWriter? writer = null, LogLevel minimumLevel = LogLevel.Information)
    {
        _writer = writer;
        _minimumLevel = minimumLevel;
    }

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= _minimumLevel;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel)) return;
        string line = Prefix(logLevel) + formatter(state, exception);
        if (exception is not null) line += Environment.NewLine + exception;
        var writer = _writer ?? Console.Error;
        lock (_gate) writer.WriteLine(line);
    }

    /// <summary>No scopes: a line carries its message only.</summary>
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <summary>Python's level names, as sbi's warnings and log records show them; information lines stay bare, as sbi prints them.</summary>
    private static string Prefix(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE: ",
        LogLevel.Debug => "DEBUG: ",
        LogLevel.Warning => "WARNING: ",
        LogLevel.Error => "ERROR: ",
        LogLevel.Critical => "CRITICAL: ",
        _ => "",
    };
}
