using Microsoft.Extensions.Logging;

namespace Sbi.Testing;

/// <summary>
/// An <see cref="ILogger"/> that keeps every message with its level and event id, for tests that check what the library
/// logged and at which level. Thread-safe: MCMC workers may log from several threads.
/// </summary>
public sealed class ListLogger : ILogger
{
    private readonly List<LogEntry> _entries = new();

    /// <summary>Everything logged so far, in order.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get { lock (_entries) return _entries.ToList(); }
    }

    /// <summary>The messages logged at <see cref="LogLevel.Warning"/>.</summary>
    public IReadOnlyList<string> Warnings => At(LogLevel.Warning);

    /// <summary>The messages logged at <see cref="LogLevel.Information"/>.</summary>
    public IReadOnlyList<string> Infos => At(LogLevel.Information);

    /// <summary>The messages logged at <paramref name="level"/>.</summary>
    public IReadOnlyList<string> At(LogLevel level) => Entries.Where(e => e.Level == level).Select(e => e.Message).ToList();

    /// <summary>Forgets what was logged so far (to check what a later call logs).</summary>
    public void Clear()
    {
        lock (_entries) _entries.Clear();
    }

    /// <summary>Every level is kept: the filter under test is the library's, not this logger's.</summary>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var entry = new LogEntry(logLevel, eventId, formatter(state, exception));
        lock (_entries) _entries.Add(entry);
    }

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
}

/// <summary>One message a <see cref="ListLogger"/> received.</summary>
public sealed record LogEntry(LogLevel Level, EventId EventId, string Message);
