using Sbi.Numpy;

namespace Sbi.Format;

/// <summary>
/// A model file on disk: one <c>.npz</c> (numpy-readable) with every state-dict tensor under <c>sd/&lt;sbi key&gt;</c>
/// (so <c>load_state_dict</c> in Python takes it) and the <see cref="ModelDocument"/> as the 0-d unicode member
/// <c>config_json</c>. The one reader and writer of the layout, for the TorchSharp library and the ONNX exporter.
/// </summary>
public static class ModelArchive
{
    /// <summary>Reads a model file or an sbi parity fixture: the document and the state dict (keys without "sd/").</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="SbiDataException">not an npz, no config_json, an unknown format or version, a bad field.</exception>
    /// <exception cref="SbiDataException">a member's SHA-256 differs from the one recorded (a corrupt or altered file), or a
    /// size field of the configuration is out of range for the stored weights (<see cref="ConfigBounds"/>).</exception>
    /// <param name="path">The file.</param>
    /// <param name="note">Receives a one-line note when an Sbi.Net file predates member digests (so it is not checked).</param>
    public static (ModelDocument Document, IReadOnlyDictionary<string, NpyArray> StateDict) Read(string path, Action<string>? note = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: {path}", path);
        var npz = NpzFile.Load(path);
        if (!npz.TryGetValue(ModelDocument.ConfigMember, out var config))
            throw new SbiDataException(null, $"{path}: not an Sbi.Net model or sbi fixture (no {ModelDocument.ConfigMember} member).");
        // sbi's fixtures keep a BoxUniform prior as two arrays instead of JSON.
        PriorSpec? fixturePrior = npz.TryGetValue("prior_low", out var lo) && npz.TryGetValue("prior_high", out var hi)
            ? new BoxUniformSpec(lo.AsFloat32(), hi.AsFloat32()) : null;
        var document = ModelDocument.FromJson(config.AsString(), path, fixturePrior);
        if (document.MemberSha256 is { } digests) MemberDigests.VerifyNpz(path, digests, ModelDocument.ConfigMember);
        else if (document.IsSbiNetFile)
            note?.Invoke($"{path}: written before member digests (no {ModelDocument.DigestsField}); its weights are loaded unchecked. Save it again to add them.");
        var stateDict = npz.Where(kv => kv.Key.StartsWith(ModelDocument.StateDictPrefix, StringComparison.Ordinal))
                           .ToDictionary(kv => kv.Key[ModelDocument.StateDictPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        ConfigBounds.Check(document.Config, stateDict.Values.Select(a => a.Shape).ToList(), path);
        return (document, stateDict);
    }

    /// <summary>
    /// Writes a model file: the state dict in its order, then <c>config_json</c>. The file is written under a unique
    /// temporary name in the target folder and renamed into place, so a crash never leaves a half-written model.
    /// </summary>
    public static void Write(string path, ModelDocument document, IEnumerable<KeyValuePair<string, NpyArray>> stateDict, string? writer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(stateDict);
        var entries = stateDict.Select(kv => new KeyValuePair<string, NpyArray>(ModelDocument.StateDictPrefix + kv.Key, kv.Value)).ToList();
        // The digests are of the very bytes Npz.Write stores (Npy.Write of each array); config_json holds them, so it is the one member not covered.
        var digests = entries.ToDictionary(kv => kv.Key, kv => MemberDigests.OfNpy(kv.Value), StringComparer.Ordinal);
        var signed = document with { MemberSha256 = digests };
        entries.Add(new(ModelDocument.ConfigMember, NpyArray.FromString(signed.ToJson(writer).ToJsonString())));
        AtomicFile.Write(path, stream => Npz.Write(stream, entries, compressed: true));
    }
}
