using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sbi.Utils;

/// <summary>
/// A logger that passes on only the messages at or above a minimum level: a trainer's <c>loggingLevel</c> laid over
/// whatever logger it was given (whose own filter still applies).
/// </summary>
internal sealed class LevelFilterLogger : ILogger
{
    private readonly ILogger _inner;
    private readonly LogLevel _minimumLevel;

    private LevelFilterLogger(ILogger inner, LogLevel minimumLevel)
    {
        _inner = inner;
        _minimumLevel = minimumLevel;
    }

    /// <summary><paramref name="inner"/> itself where nothing is filtered, nothing at all for <see cref="LogLevel.None"/>.</summary>
    public static ILogger Over(ILogger inner, LogLevel minimumLevel) => minimumLevel switch
    {
        LogLevel.Trace => inner,
        LogLevel.None => NullLogger.Instance,
        _ => new LevelFilterLogger(inner, minimumLevel),
    };

    public bool IsEnabled(LogLevel logLevel) => logLevel >= _minimumLevel && _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= _minimumLevel) _inner.Log(logLevel, eventId, state, exception, formatter);
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _inner.BeginScope(state);
}
