using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Sbi.Estimators;

namespace Sbi.Cli;

/// <summary>
/// Typed options with their range checks, shared by the commands. A bad value is a parse error whose message names the
/// option, the expected range and what was given (exit 2 before any work).
/// </summary>
internal static class CliOptions
{
    /// <summary>An integer option in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, int max = int.MaxValue, string? why = null, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseCore(r, name, min, max, why, s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null) ?? defaultValue,
        };

    /// <summary>An optional integer option (null when absent) in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int?> OptionalInt(string name, string description, int min, int max = int.MaxValue) =>
        new(name)
        {
            Description = description,
            HelpName = "N",
            CustomParser = r => ParseCore(r, name, min, max, null, s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null),
        };

    /// <summary>A long option in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<long> Long(string name, string description, long defaultValue, long min, long max = long.MaxValue, string? why = null) =>
        new(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseCore(r, name, min, max, why, s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null) ?? defaultValue,
        };

    /// <summary>A finite number in the open interval (<paramref name="above"/>, <paramref name="below"/>).</summary>
    public static Option<double> Double(string name, string description, double defaultValue, double above, double below = double.PositiveInfinity) =>
        new(name)
        {
            Description = description,
            HelpName = "X",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseDouble(r, name, above, below) ?? defaultValue,
        };

    /// <summary>--max-sampling-time SECONDS: null when absent, else a positive number of seconds.</summary>
    public static Option<TimeSpan?> MaxSamplingTime() =>
        new("--max-sampling-time")
        {
            Description = "give up rejection sampling after SECONDS (it can loop for very long when the posterior's mass lies outside the prior); default: no limit",
            HelpName = "SECONDS",
            // Beyond 10⁹ s (32 years) is "no limit" in practice; the cap keeps TimeSpan from overflowing.
            CustomParser = r => ParseDouble(r, "--max-sampling-time", 0, double.PositiveInfinity) is { } s ? TimeSpan.FromSeconds(Math.Min(s, 1e9)) : null,
        };

    /// <summary>--threads: torch intra-op threads, 1 to the number of cores (more only oversubscribes them).</summary>
    public static Option<int> Threads() =>
        Int("--threads", "torch intra-op threads", 1, 1, Environment.ProcessorCount, "the cores here");

    /// <summary>A comma-separated list of integers, each in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int[]> IntList(string name, string description, string defaultValue, int min, int max = int.MaxValue, string? why = null) =>
        new(name)
        {
            Description = description,
            HelpName = "N,N,…",
            DefaultValueFactory = _ => defaultValue.Split(',').Select(int.Parse).ToArray(),
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                var result = new List<int>();
                foreach (var p in text.Split(','))
                {
                    if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                    {
                        r.AddError($"{name} must be comma-separated integers; got '{text}' ('{p}' is not an integer)");
                        return [];
                    }
                    if (v < min || v > max)
                    {
                        r.AddError($"{name}: every value must be between {min} and {max}{(why is null ? "" : $" ({why})")}; got {v}");
                        return [];
                    }
                    result.Add(v);
                }
                return result.ToArray();
            },
        };

    /// <summary>A file or folder path (checked before work starts, see <see cref="PathChecks"/>).</summary>
    public static Option<string> Path(string name, string description, string helpName = "FILE", bool required = false, string? defaultValue = null)
    {
        var o = new Option<string>(name)
        {
            Description = description,
            HelpName = helpName,
            Required = required,
        };
        if (defaultValue is not null) o.DefaultValueFactory = _ => defaultValue;
        return o;
    }

    /// <summary>--estimator: one of the registered estimator families.</summary>
    public static Option<string> Estimator() =>
        Choice("--estimator", "density estimator", EstimatorFamilies.Names, "maf");

    /// <summary>
    /// An option taking one of <paramref name="values"/> (ordinal); <paramref name="defaultValue"/> null: absent means
    /// null. Anything else is a parse error listing the values (exit 2).
    /// </summary>
    public static Option<string> Choice(string name, string description, IReadOnlyList<string> values, string? defaultValue, string helpName = "NAME")
    {
        var o = new Option<string>(name)
        {
            Description = $"{description}: {string.Join(", ", values)}{(defaultValue is null ? "" : $" (default {defaultValue})")}",
            HelpName = helpName,
        };
        if (defaultValue is not null) o.DefaultValueFactory = _ => defaultValue;
        o.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (v is null && defaultValue is null) return;
            if (!values.Contains(v, StringComparer.Ordinal)) r.AddError($"{name} must be one of {string.Join(", ", values)}; got '{v}'");
        });
        return o;
    }

    /// <summary>--prior, parsed through <see cref="PriorSpec.Parse"/> when the command line is.</summary>
    public static Option<PriorSpec> Prior() =>
        new("--prior")
        {
            Description = PriorSpec.Help,
            HelpName = "SPEC",
            Required = true,
            CustomParser = r => ParseWith(r, PriorSpec.Parse),
        };

    /// <summary>An observation (--x, --x-o), parsed through <see cref="XSpec.Parse"/> when the command line is.</summary>
    public static Option<XSpec?> Observation(string name, string description) =>
        new(name)
        {
            Description = $"{description}: {XSpec.Help}",
            HelpName = "VALUES|FILE",
            CustomParser = r => ParseWith(r, s => XSpec.Parse(s, name)),
        };

    private static T? ParseWith<T>(ArgumentResult r, Func<string, T> parse) where T : class
    {
        try { return parse(r.Tokens[0].Value); }
        catch (FormatException e)
        {
            r.AddError(e.Message);
            return null;
        }
    }

    private static T? ParseCore<T>(ArgumentResult r, string name, T min, T max, string? why, Func<string, T?> tryParse) where T : struct, IComparable<T>
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (tryParse(text) is not { } v)
        {
            r.AddError($"{name} must be an integer; got '{text}'");
            return null;
        }
        if (v.CompareTo(min) < 0 || v.CompareTo(max) > 0)
        {
            var range = max.Equals(MaxOf<T>()) ? $"at least {min}" : $"between {min} and {max}";
            r.AddError($"{name} must be {range}{(why is null ? "" : $" ({why})")}; got {v}");
            return null;
        }
        return v;
    }

    private static T MaxOf<T>() where T : struct =>
        typeof(T) == typeof(int) ? (T)(object)int.MaxValue : typeof(T) == typeof(long) ? (T)(object)long.MaxValue : default;

    private static double? ParseDouble(ArgumentResult r, string name, double above, double below)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
        {
            r.AddError($"{name} must be a finite number; got '{text}'");
            return null;
        }
        if (!(v > above && v < below))
        {
            r.AddError(double.IsPositiveInfinity(below) ? $"{name} must be greater than {above}; got {text}" : $"{name} must lie strictly between {above} and {below}; got {text}");
            return null;
        }
        return v;
    }
}
