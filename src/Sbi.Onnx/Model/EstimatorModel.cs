using Sbi.Format;
using Sbi.Numpy;

namespace Sbi.Onnx.Model;

/// <summary>
/// A trained sbi / Sbi.Net posterior estimator as plain data: its configuration (Sbi.Format), the sbi state dict
/// (key → array) and the prior. This is all an exporter needs; it does not depend on TorchSharp. Load one with
/// <see cref="LoadNpz"/> (an Sbi.Net model file or an sbi parity fixture) or build it in memory.
/// </summary>
public sealed class EstimatorModel
{
    /// <summary>The estimator's configuration.</summary>
    public required EstimatorConfig Config { get; init; }

    /// <summary>sbi state dict: key exactly as <c>state_dict()</c> names it → array.</summary>
    public required IReadOnlyDictionary<string, NpyArray> StateDict { get; init; }

    /// <summary>Prior of the posterior (defines the support for rejection sampling).</summary>
    public required PriorSpec Prior { get; init; }

    /// <summary>The family name (the configuration's "estimator").</summary>
    public string Estimator => Config.Estimator;

    /// <summary>Number of θ entries.</summary>
    public int D => Config.D;

    /// <summary>Number of x entries the estimator is conditioned on (identity embedding).</summary>
    public int C => Config.C;

    /// <summary>Hidden width H.</summary>
    public int HiddenFeatures => Config.HiddenFeatures;

    /// <summary>Number of flow transforms (maf, nsf).</summary>
    public int NumTransforms => Config.NumTransforms;

    /// <summary>Blocks per MADE / residual conditioner.</summary>
    public int NumBlocks => Config.NumBlocks;

    /// <summary>Spline bins K (nsf).</summary>
    public int NumBins => Config.NumBins;

    /// <summary>Spline tail bound B (nsf).</summary>
    public float TailBound => (float)Config.TailBound;

    /// <summary>Mixture components (mdn, made).</summary>
    public int NumComponents => Config.NumComponents;

    /// <summary>True when θ is z-scored inside the estimator.</summary>
    public bool ThetaZScored => Config.ZScoreTheta != ZScoreMode.None;

    /// <summary>True when x is z-scored inside the estimator.</summary>
    public bool XZScored => Config.ZScoreX != ZScoreMode.None;

    /// <summary>Loads an sbi parity fixture or an Sbi.Net model file (<see cref="ModelArchive.Read"/>).</summary>
    /// <exception cref="SbiDataException">the file is not a model, lacks a prior, or describes an unusable estimator.</exception>
    /// <exception cref="SbiDataException">a member's digest differs, a size field is out of range, or a weight is not finite.</exception>
    /// <param name="path">The file.</param>
    /// <param name="note">Receives a one-line note when the file predates member digests; null: standard error.</param>
    public static EstimatorModel LoadNpz(string path, Action<string>? note = null)
    {
        note ??= m => Console.Error.WriteLine(m);
        var (document, stateDict) = ModelArchive.Read(path, note);
        var model = new EstimatorModel
        {
            Config = document.Config,
            StateDict = stateDict,
            Prior = document.Prior ?? throw new SbiDataException(null, $"'{path}' describes no prior (neither config_json.prior nor prior_low/prior_high)."),
        };
        try { model.Validate(); }
        catch (ArgumentException e) { throw new SbiDataException(null, $"'{path}': {e.Message}", e); }
        model.RequireFiniteWeights(path);
        return model;
    }

    /// <summary>Throws naming the first state-dict entry with a NaN or ±inf (in key order), so no graph is built from it.</summary>
    /// <exception cref="SbiDataException">a float entry is not finite.</exception>
    public void RequireFiniteWeights(string source)
    {
        foreach (var (key, a) in StateDict)
        {
            if (a.ElementType is not (NpyElementType.Float32 or NpyElementType.Float64)) continue;
            var v = a.AsFloat64();
            int bad = Array.FindIndex(v, d => !double.IsFinite(d));
            if (bad >= 0)
                throw new SbiDataException(source, $"weight '{key}' holds a non-finite value ({v[bad]}) at flat index {bad}; expected finite weights.");
        }
    }

    /// <summary>Checks the fields that every exporter relies on; throws <see cref="ArgumentException"/> on the first problem.</summary>
    public void Validate()
    {
        if (D < 1) throw new ArgumentException($"D must be >= 1, got {D}.", nameof(D));
        if (C < 1) throw new ArgumentException($"C must be >= 1, got {C}.", nameof(C));
        if (HiddenFeatures < 1) throw new ArgumentException($"HiddenFeatures must be >= 1, got {HiddenFeatures}.", nameof(HiddenFeatures));
        if (Prior.D != D) throw new ArgumentException($"Prior has dimension {Prior.D} but the estimator has D = {D}.", nameof(Prior));
    }

    /// <summary>A float array from the state dict; throws naming the key when it is missing or has the wrong size.</summary>
    public float[] F(string key, int? expectedLength = null)
    {
        var v = Get(key).AsFloat32();
        if (expectedLength is int n && v.Length != n)
            throw new ArgumentException($"State-dict entry '{key}' has {v.Length} values, expected {n} ({StateDict[key]}).", nameof(StateDict));
        return v;
    }

    /// <summary>An integer array from the state dict.</summary>
    public long[] I(string key) => Get(key).AsInt64();

    /// <summary>True when the state dict has <paramref name="key"/>.</summary>
    public bool Has(string key) => StateDict.ContainsKey(key);

    /// <summary>A per-feature buffer that "structured" z-scoring stores as one scalar: broadcast to <paramref name="n"/>.</summary>
    public float[] PerFeature(string key, int n)
    {
        var v = F(key);
        if (v.Length == n) return v;
        if (v.Length == 1) return Enumerable.Repeat(v[0], n).ToArray();
        throw new ArgumentException($"State-dict entry '{key}' has {v.Length} values, expected {n} or 1.", nameof(StateDict));
    }

    private NpyArray Get(string key) => StateDict.TryGetValue(key, out var a) ? a
        : throw new ArgumentException($"State dict of the {Estimator} estimator lacks '{key}'.", nameof(StateDict));
}
