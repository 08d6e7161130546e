using System.Globalization;

namespace Sbi.Cli;

/// <summary>Minimal "--name value" / "--flag" parser; unknown options are errors that list the known ones.</summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) && !(a.StartsWith('-') && a.Length == 2))
                throw new CliException($"unexpected argument '{a}'");
            var name = a.TrimStart('-');
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (i + 1 < list.Count && !(list[i + 1].StartsWith("--", StringComparison.Ordinal) || (list[i + 1].StartsWith('-') && list[i + 1].Length == 2 && !char.IsDigit(list[i + 1][1]))))
                value = list[++i];
            _values[name] = value;
        }
    }

    public bool Flag(string name) { _used.Add(name); return _values.ContainsKey(name); }

    public string? String(string name, string? fallback = null)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v ?? throw new CliException($"--{name} needs a value") : fallback;
    }

    public int Int(string name, int fallback)
    {
        var s = String(name);
        if (s is null) return fallback;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new CliException($"--{name} must be an integer; got '{s}'");
    }

    public double Double(string name, double fallback)
    {
        var s = String(name);
        if (s is null) return fallback;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new CliException($"--{name} must be a number; got '{s}'");
    }

    /// <summary>Fails on options that no command read (typos), naming the known ones.</summary>
    public void EnsureAllUsed()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new CliException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}; known: {string.Join(", ", _used.Select(u => "--" + u))}");
    }
}

/// <summary>A usage error: printed without a stack trace, exit code 2.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message) : base(message) { }
}
