using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Sbi.Utils;

/// <summary>
/// sbi's <c>logging_level</c>: the least severe message a trainer passes to its logger, given as sbi takes it, by
/// Python's level name (<c>"DEBUG"</c>, <c>"INFO"</c>, <c>"WARNING"</c>, <c>"ERROR"</c>, <c>"CRITICAL"</c>, also
/// <c>"NOTSET"</c>, <c>"WARN"</c>, <c>"FATAL"</c>, in any case) or number (10, 20, 30, 40, 50), or as a
/// <see cref="Microsoft.Extensions.Logging.LogLevel"/>. <c>"NONE"</c> (or a number above 50) passes nothing.
/// The conversions never throw; <see cref="ToLogLevel"/> refuses a value that is none of these.
/// </summary>
/// <remarks>
/// Python's logging shows a record whose level number is at least the threshold; Microsoft's levels sit at Python's
/// numbers Trace 5 (Python has none), Debug 10, Information 20, Warning 30, Error 40, Critical 50, so a number maps
/// to the least severe Microsoft level at or above it (25 keeps warnings and errors, as in Python).
/// </remarks>
public readonly struct LoggingLevel : IEquatable<LoggingLevel>
{
    private static readonly (string Name, LogLevel Level)[] Names =
    [
        ("NOTSET", LogLevel.Trace), ("DEBUG", LogLevel.Debug), ("INFO", LogLevel.Information), ("WARNING", LogLevel.Warning),
        ("WARN", LogLevel.Warning), ("ERROR", LogLevel.Error), ("CRITICAL", LogLevel.Critical), ("FATAL", LogLevel.Critical),
        ("NONE", LogLevel.None),
    ];

    private readonly string? _name;
    private readonly int? _number;
    private readonly LogLevel? _level;

    private LoggingLevel(string? name, int? number, LogLevel? level)
    {
        _name = name;
        _number = number;
        _level = level;
    }

    /// <summary>A Python level name, e.g. <c>"WARNING"</c> (sbi's default spelling) or <c>"info"</c>.</summary>
    public static implicit operator LoggingLevel(string name) => new(name ?? "", null, null);

    /// <summary>A Python level number, e.g. 20 (<c>logging.INFO</c>).</summary>
    public static implicit operator LoggingLevel(int number) => new(null, number, null);

    /// <summary>A Microsoft level, taken as it is.</summary>
    public static implicit operator LoggingLevel(LogLevel level) => new(null, null, level);

    /// <summary>The Microsoft level this stands for.</summary>
    /// <exception cref="ArgumentException">The value is no level name, a negative number or an undefined
    /// <see cref="LogLevel"/>; the message names <paramref name="paramName"/> and lists what is accepted.</exception>
    public LogLevel ToLogLevel(string paramName = "loggingLevel")
    {
        if (_level is { } level)
            return Enum.IsDefined(level) ? level : throw Refuse(paramName, $"LogLevel {(int)level}");
        if (_number is { } n)
        {
            if (n < 0) throw Refuse(paramName, n.ToString(CultureInfo.InvariantCulture));
            return n switch
            {
                <= 5 => LogLevel.Trace,
                <= 10 => LogLevel.Debug,
                <= 20 => LogLevel.Information,
                <= 30 => LogLevel.Warning,
                <= 40 => LogLevel.Error,
                <= 50 => LogLevel.Critical,
                _ => LogLevel.None,
            };
        }
        var name = _name?.Trim() ?? "";
        foreach (var (known, l) in Names)
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase)) return l;
        throw Refuse(paramName, _name is null ? "no value" : $"'{_name}'");
    }

    private static ArgumentException Refuse(string paramName, string got) =>
        new($"{paramName} must be one of sbi's logging level names DEBUG, INFO, WARNING, ERROR, CRITICAL (also NOTSET, WARN, FATAL, " +
            $"and NONE to log nothing; any case), a Python level number ≥ 0 (10, 20, 30, 40, 50) or a Microsoft LogLevel; got {got}.", paramName);

    /// <inheritdoc/>
    public bool Equals(LoggingLevel other) => _name == other._name && _number == other._number && _level == other._level;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LoggingLevel other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_name, _number, _level);

    /// <summary>The value as given: the name, the number or the Microsoft level.</summary>
    public override string ToString() => _name ?? _number?.ToString(CultureInfo.InvariantCulture) ?? _level?.ToString() ?? "";

    /// <summary>Whether two values were given the same way (not whether they map to the same level).</summary>
    public static bool operator ==(LoggingLevel left, LoggingLevel right) => left.Equals(right);

    /// <summary>Whether two values were given differently.</summary>
    public static bool operator !=(LoggingLevel left, LoggingLevel right) => !left.Equals(right);
}
