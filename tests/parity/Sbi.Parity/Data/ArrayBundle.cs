using System.Text.Json.Nodes;
using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Parity.Data;

/// <summary>
/// Named arrays made by sbi, from a committed fixture (recorded) or from a live reply, with where they came from
/// and the versions that made them. The checks read both kinds the same way.
/// </summary>
public sealed class ArrayBundle
{
    private readonly IReadOnlyDictionary<string, NpyArray> _arrays;

    public ArrayBundle(IReadOnlyDictionary<string, NpyArray> arrays, string origin, IReadOnlyDictionary<string, string> versions, JsonObject? info = null)
    {
        _arrays = arrays;
        Origin = origin;
        Versions = versions;
        Info = info ?? new JsonObject();
    }

    /// <summary>"fixture file name" or "live".</summary>
    public string Origin { get; }

    /// <summary>Versions of the Python side that produced the arrays.</summary>
    public IReadOnlyDictionary<string, string> Versions { get; }

    /// <summary>Extra information of a live reply (empty for fixtures).</summary>
    public JsonObject Info { get; }

    public IEnumerable<string> Names => _arrays.Keys;

    public bool Has(string name) => _arrays.ContainsKey(name);

    public NpyArray this[string name] =>
        _arrays.TryGetValue(name, out var a) ? a : throw new KeyNotFoundException($"{Origin} has no array '{name}'");

    /// <summary>A new CPU tensor (callers own it; use inside a dispose scope).</summary>
    public Tensor Tensor(string name) => this[name].ToTensor();

    public double Scalar(string name) => this[name].AsFloat64()[0];

    public JsonObject Json(string name) => JsonNode.Parse(this[name].AsString())!.AsObject();

    /// <summary>The arrays under a prefix with the prefix removed (e.g. "sd/" gives a state dict).</summary>
    public Dictionary<string, NpyArray> WithPrefix(string prefix) =>
        _arrays.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>Reads a committed fixture; the versions come from its meta_json (sbi_version, torch_version, versions).</summary>
    public static ArrayBundle FromFixture(string path)
    {
        var npz = NpzFile.Load(path);
        var arrays = npz.Keys.ToDictionary(k => k, k => npz[k]);
        var versions = new Dictionary<string, string>();
        if (arrays.TryGetValue("meta_json", out var meta))
        {
            var m = JsonNode.Parse(meta.AsString())!.AsObject();
            if (m["versions"] is JsonObject v)
                foreach (var (k, val) in v) versions[k] = val?.ToString() ?? "";
            if (m["sbi_version"] is { } s) versions.TryAdd("sbi", s.ToString());
            if (m["torch_version"] is { } t) versions.TryAdd("torch", t.ToString());
        }
        return new ArrayBundle(arrays, Path.GetFileName(path), versions);
    }

    /// <summary>Versions as one short line ("sbi 0.27.0, torch 1.13.0a0, ...").</summary>
    public static string Describe(IReadOnlyDictionary<string, string> versions)
    {
        var keys = new[] { "sbi", "sbi_commit", "torch", "nflows", "numpy", "python" };
        return string.Join(", ", keys.Where(versions.ContainsKey).Select(k => $"{k} {Short(versions[k])}"));
    }

    private static string Short(string v) => v.Length > 12 && v.All(Uri.IsHexDigit) ? v[..8] : v;
}
