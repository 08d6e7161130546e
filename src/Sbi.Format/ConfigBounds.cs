using Sbi.Numpy;

namespace Sbi.Format;

/// <summary>
/// Range checks of a stored configuration against the stored weights, run before any estimator is built: every size
/// field (D, C, and for the built-in families that use them hidden features, bins, components) must fit in a stored
/// tensor's axis, every count (transforms, blocks, spline-context layers) in the number of stored tensors, and x_shape must be positive and, for the identity
/// embedding, give C values. So a file claiming <c>hidden_features: 1e9</c> is refused in microseconds instead of
/// allocating gigabytes before its weights are compared.
/// </summary>
/// <remarks>
/// Why these bounds hold for every honest file: each family stores at least one weight with an axis of length D, C,
/// H, K (a bins-proportional output layer) and the component count; each transform and block stores at least one
/// tensor. The bounds are loose (a family-specific comparison, where the family can infer its configuration, is the
/// tight check) but make the memory a rebuild allocates polynomial in the file's own size.
/// </remarks>
public static class ConfigBounds
{
    /// <summary>The largest x an estimator is rebuilt for (elements of one x; torch's int32-indexed kernels bound it).</summary>
    public const long MaxXElements = int.MaxValue;

    /// <summary>Checks <paramref name="config"/> against the stored tensor shapes; <paramref name="source"/> names the file.</summary>
    /// <exception cref="SbiDataException">a field is out of range; the message names the field, its value and the bound.</exception>
    public static void Check(EstimatorConfig config, IReadOnlyCollection<long[]> shapes, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shapes);
        // sbi's parity fixtures of posteriors keep no sd/ members; with nothing to rebuild there is nothing to bound
        // (a loader that rebuilds refuses an empty state dict itself).
        if (shapes.Count == 0) return;
        long maxAxis = shapes.SelectMany(s => s).DefaultIfEmpty(1).Max();
        long maxNumel = shapes.Select(s => s.Aggregate(1L, (a, b) => a * b)).Max();
        int tensors = shapes.Count;
        string axis = $"the longest axis of a stored tensor ({maxAxis})";
        string count = $"the number of stored tensors ({tensors})";
        Size("D", config.D, 1, maxAxis, axis, source);
        Size("C", config.C, 1, maxAxis, axis, source);
        // The other fields are checked for the built-in families that use them: a family ignores the rest (an MDN's
        // num_transforms, a MAF's num_bins keep their defaults), and a user's family may use none of them.
        string f = config.Estimator;
        bool flow = f is "maf" or "nsf", builtIn = flow || f is "mdn" or "made";
        if (builtIn) Size("hidden_features", config.HiddenFeatures, 1, maxAxis, axis, source);
        if (f == "nsf") Size("num_bins", config.NumBins, 1, maxAxis, axis, source);
        if (f is "mdn" or "made") Size("num_components", config.NumComponents, 1, maxAxis, axis, source);
        if (flow) Size("num_transforms", config.NumTransforms, 0, tensors, count, source);
        if (flow || f == "made") Size("num_blocks", config.NumBlocks, 0, tensors, count, source);
        if (f == "nsf") Size("hidden_layers_spline_context", config.HiddenLayersSplineContext, 0, tensors, count, source);
        if (!(config.DropoutProbability >= 0 && config.DropoutProbability < 1))
            throw new SbiDataException(source, $"config_json field \"dropout_probability\" must lie in [0, 1); got {config.DropoutProbability}.");
        if (!(double.IsFinite(config.TailBound) && config.TailBound > 0))
            throw new SbiDataException(source, $"config_json field \"tail_bound\" must be finite and positive; got {config.TailBound}.");
        if (config.XShape.Length == 0 || config.XShape.Any(v => v < 1))
            throw new SbiDataException(source, $"config_json field \"x_shape\" must list positive sizes; got ({string.Join(", ", config.XShape)}).");
        long elements = 1;
        foreach (var v in config.XShape)
        {
            if (v > MaxXElements / elements)
                throw new SbiDataException(source, $"config_json field \"x_shape\" ({string.Join(", ", config.XShape)}) holds more than {MaxXElements} values.");
            elements *= v;
        }
        if (config.EmbeddingNet == EstimatorDefaults.IdentityEmbedding && elements != config.C)
            throw new SbiDataException(source, $"config_json field \"x_shape\" ({string.Join(", ", config.XShape)}) holds {elements} values, but the identity embedding needs C = {config.C}.");
        // Independent z-scoring stores one mean and one std per x value.
        if (config.ZScoreX == ZScoreMode.Independent && elements > maxNumel)
            throw new SbiDataException(source, $"config_json field \"x_shape\" ({string.Join(", ", config.XShape)}) holds {elements} values, more than the largest stored tensor ({maxNumel}) that its z-scoring statistics need.");
    }

    private static void Size(string field, long value, long min, long max, string what, string source)
    {
        if (value < min || value > max)
            throw new SbiDataException(source, $"config_json field \"{field}\" is {value}; it must lie between {min} and {max}, {what}.");
    }
}
