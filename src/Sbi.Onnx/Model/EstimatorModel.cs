namespace Sbi.Onnx.Model;

/// <summary>
/// A trained sbi / Sbi.Net posterior estimator as plain data: kind, sizes, hyper-parameters, z-scoring
/// modes, the sbi state dict (key → array) and the prior. This is all the exporter needs; it does not
/// depend on TorchSharp. Load one with <see cref="LoadNpz"/> or build it in memory.
/// </summary>
public sealed class EstimatorModel
{
    /// <summary>Estimator kinds that can be exported.</summary>
    public static readonly IReadOnlyList<string> SupportedKinds = new[] { "maf", "nsf", "mdn", "made" };

    /// <summary>"maf", "nsf", "mdn" or "made".</summary>
    public required string Kind { get; init; }

    /// <summary>Number of θ entries.</summary>
    public required int D { get; init; }

    /// <summary>Number of x entries the estimator is conditioned on (identity embedding).</summary>
    public required int C { get; init; }

    /// <summary>Hidden width H (sbi default 50).</summary>
    public int HiddenFeatures { get; init; } = 50;

    /// <summary>Number of flow transforms (maf, nsf; default 5).</summary>
    public int NumTransforms { get; init; } = 5;

    /// <summary>Blocks per MADE / residual conditioner (maf, nsf: default 2; made: fixed 5 by sbi's builder).</summary>
    public int NumBlocks { get; init; } = 2;

    /// <summary>Spline bins K (nsf; default 10).</summary>
    public int NumBins { get; init; } = 10;

    /// <summary>Spline tail bound B (nsf; default 3.0).</summary>
    public float TailBound { get; init; } = 3.0f;

    /// <summary>Mixture components (mdn: num_components; made: num_mixture_components; default 10).</summary>
    public int NumComponents { get; init; } = 10;

    /// <summary>θ z-scoring: "independent", "structured" or "none".</summary>
    public string ZScoreTheta { get; init; } = "independent";

    /// <summary>x z-scoring: "independent", "structured" or "none".</summary>
    public string ZScoreX { get; init; } = "independent";

    /// <summary>sbi state dict: key exactly as <c>state_dict()</c> names it → array.</summary>
    public required IReadOnlyDictionary<string, WeightArray> StateDict { get; init; }

    /// <summary>Prior of the posterior (defines the support for rejection sampling).</summary>
    public required PriorSpec Prior { get; init; }

    /// <summary>True when θ is z-scored inside the estimator.</summary>
    public bool ThetaZScored => ZScoreTheta is "independent" or "structured";

    /// <summary>True when x is z-scored inside the estimator.</summary>
    public bool XZScored => ZScoreX is "independent" or "structured";

    /// <summary>Loads an sbi parity fixture or an Sbi.Net model file (see <see cref="NpzModelLoader"/>).</summary>
    public static EstimatorModel LoadNpz(string path) => NpzModelLoader.Load(path);

    /// <summary>Checks the fields that every exporter relies on; throws <see cref="ArgumentException"/> on the first problem.</summary>
    public void Validate()
    {
        if (!SupportedKinds.Contains(Kind))
            throw new ArgumentException($"Unknown estimator kind '{Kind}'; expected one of {string.Join(", ", SupportedKinds)}.", nameof(Kind));
        if (D < 1) throw new ArgumentException($"D must be >= 1, got {D}.", nameof(D));
        if (C < 1) throw new ArgumentException($"C must be >= 1, got {C}.", nameof(C));
        if (HiddenFeatures < 1) throw new ArgumentException($"HiddenFeatures must be >= 1, got {HiddenFeatures}.", nameof(HiddenFeatures));
        foreach (var (name, mode) in new[] { (nameof(ZScoreTheta), ZScoreTheta), (nameof(ZScoreX), ZScoreX) })
            if (mode is not ("independent" or "structured" or "none"))
                throw new ArgumentException($"{name} must be 'independent', 'structured' or 'none', got '{mode}'.", name);
        if (Prior.D != D) throw new ArgumentException($"Prior has dimension {Prior.D} but the estimator has D = {D}.", nameof(Prior));
    }

    /// <summary>A float array from the state dict; throws naming the key when it is missing or has the wrong size.</summary>
    public float[] F(string key, int? expectedLength = null)
    {
        if (!StateDict.TryGetValue(key, out var a))
            throw new ArgumentException($"State dict of the {Kind} estimator lacks '{key}'.", nameof(StateDict));
        var v = a.AsFloats();
        if (expectedLength is int n && v.Length != n)
            throw new ArgumentException($"State-dict entry '{key}' has {v.Length} values, expected {n} ({a}).", nameof(StateDict));
        return v;
    }

    /// <summary>An integer array from the state dict.</summary>
    public long[] I(string key)
    {
        if (!StateDict.TryGetValue(key, out var a))
            throw new ArgumentException($"State dict of the {Kind} estimator lacks '{key}'.", nameof(StateDict));
        return a.AsInts();
    }

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
}
