using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>Strict state-dict loading with errors that name the key and both shapes (TorchSharp's own messages do not).</summary>
public static class StateDictLoader
{
    /// <summary>
    /// Copies every tensor of <paramref name="source"/> into the module's parameter or buffer of the same sbi key.
    /// Missing keys, unexpected keys and shape mismatches raise before anything is copied (nothing half-loaded).
    /// </summary>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> source, string sourceName = "state dict")
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"{sourceName} lacks {missing.Count} key(s) the estimator needs, e.g. '{missing[0]}'.", nameof(source));
        var extra = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (extra.Count > 0)
            throw new ArgumentException($"{sourceName} has {extra.Count} key(s) the estimator does not have, e.g. '{extra[0]}'.", nameof(source));
        foreach (var (key, t) in target)
        {
            var s = source[key];
            if (!t.shape.SequenceEqual(s.shape))
                throw new ArgumentException($"{sourceName} key '{key}' has shape {Guard.Shape(s)}; the estimator expects {Guard.Shape(t)}.", nameof(source));
        }
        using var _ = no_grad();
        foreach (var (key, t) in target)
            t.copy_(source[key].to(t.dtype, t.device));
    }

    /// <summary>A deep copy of the module's state dict (for best-weight snapshots).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        using var _ = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Disposes every tensor of a snapshot.</summary>
    public static void Dispose(Dictionary<string, Tensor>? snapshot)
    {
        if (snapshot is null) return;
        foreach (var t in snapshot.Values) t.Dispose();
        snapshot.Clear();
    }
}
