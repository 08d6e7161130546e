using System.Text.RegularExpressions;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Families;

/// <summary>What the families read off a state dict in sbi's key names when they infer a configuration from it.</summary>
internal sealed class StateDictShapes
{
    private readonly IReadOnlyDictionary<string, Tensor> _sd;
    private readonly string _source;

    public StateDictShapes(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        _sd = stateDict;
        _source = source;
    }

    public IEnumerable<string> Keys => _sd.Keys;

    public bool Has(string key) => _sd.ContainsKey(key);

    /// <summary>The shape of a key that must be there.</summary>
    public long[] Shape(string key) => _sd.TryGetValue(key, out var t) ? t.shape
        : throw new ArgumentException($"{_source}: expected key '{key}' is missing.", "stateDict");

    /// <summary>The z-score mode a statistics buffer implies: absent none, 0-d structured, else independent.</summary>
    public ZScoreMode ModeOf(string key) => !_sd.TryGetValue(key, out var t) ? ZScoreMode.None : t.dim() == 0 ? ZScoreMode.Structured : ZScoreMode.Independent;

    /// <summary>How many distinct values the pattern's first group takes over the keys (layer and block counts).</summary>
    public int Count(string pattern) => _sd.Keys.Select(k => Regex.Match(k, pattern)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count();

    /// <summary>The first key (in ordinal order) ending with <paramref name="suffix"/>.</summary>
    public string First(string suffix) => _sd.Keys.Where(k => k.EndsWith(suffix, StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).First();
}
