using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// nflows' <c>PiecewiseRationalQuadraticCouplingTransform</c> with linear tails (sbi's NSF layer). Features whose mask
/// entry is set are transformed by a <see cref="RationalQuadraticSpline"/> whose parameters the conditioner
/// <c>transform_net</c> computes from the other (identity) features and the context; identity features pass unchanged.
/// Buffers <c>identity_features</c> and <c>transform_features</c> (int64, ascending) are the two index lists.
/// </summary>
public sealed class PiecewiseRationalQuadraticCouplingTransform : Transform
{
    private Tensor identity_features;
    private Tensor transform_features;
    private readonly nn.Module<Tensor, Tensor?, Tensor> transform_net;
    private readonly int _numBins;
    private readonly double _tailBound;
    private readonly double _divisor;
    private readonly double _minBinWidth, _minBinHeight, _minDerivative;

    /// <summary>
    /// Creates the layer. <paramref name="transformMask"/>[i] tells whether feature i is transformed;
    /// <paramref name="createConditioner"/> gets (number of identity features, number of outputs) and returns the
    /// conditioner; <paramref name="conditionerHiddenFeatures"/> is its hidden width H (widths and heights are divided
    /// by sqrt(H) as nflows does for conditioners that have a hidden width; 0: no scaling).
    /// </summary>
    public PiecewiseRationalQuadraticCouplingTransform(
        IReadOnlyList<bool> transformMask, Func<int, int, nn.Module<Tensor, Tensor?, Tensor>> createConditioner,
        int conditionerHiddenFeatures, int numBins = 10, double tailBound = 3.0,
        double minBinWidth = RationalQuadraticSpline.DefaultMinBinWidth,
        double minBinHeight = RationalQuadraticSpline.DefaultMinBinHeight,
        double minDerivative = RationalQuadraticSpline.DefaultMinDerivative)
        : base(nameof(PiecewiseRationalQuadraticCouplingTransform))
    {
        ArgumentNullException.ThrowIfNull(transformMask);
        if (transformMask.Count == 0) throw new ArgumentException("mask can't be empty.", nameof(transformMask));
        if (!transformMask.Any(m => m)) throw new ArgumentException("mask must select at least one feature to transform.", nameof(transformMask));
        Features = transformMask.Count;
        var id = Enumerable.Range(0, Features).Where(i => !transformMask[i]).Select(i => (long)i).ToArray();
        var tf = Enumerable.Range(0, Features).Where(i => transformMask[i]).Select(i => (long)i).ToArray();
        identity_features = tensor(id, ScalarType.Int64).DetachFromDisposeScope();
        transform_features = tensor(tf, ScalarType.Int64).DetachFromDisposeScope();
        register_buffer("identity_features", identity_features);
        register_buffer("transform_features", transform_features);
        _numBins = numBins;
        _tailBound = tailBound;
        _divisor = conditionerHiddenFeatures > 0 ? Math.Sqrt(conditionerHiddenFeatures) : 1.0;
        (_minBinWidth, _minBinHeight, _minDerivative) = (minBinWidth, minBinHeight, minDerivative);
        transform_net = createConditioner(id.Length, tf.Length * (3 * numBins - 1));
        register_module("transform_net", transform_net);
    }

    /// <summary>Number of features D.</summary>
    public int Features { get; }

    /// <summary>Spline settings: tail bound B, width/height divisor, minimal bin width, height and derivative.</summary>
    internal (double TailBound, double Divisor, double MinBinWidth, double MinBinHeight, double MinDerivative) SplineSettings
        => (_tailBound, _divisor, _minBinWidth, _minBinHeight, _minDerivative);

    /// <summary>Identity and transformed feature indices (ascending).</summary>
    internal (long[] Identity, long[] Transformed) FeatureSplit
        => (identity_features.cpu().data<long>().ToArray(), transform_features.cpu().data<long>().ToArray());

    /// <summary>Number of spline bins K.</summary>
    public int NumBins => _numBins;

    /// <summary>The conditioner (<see cref="Sbi.Nn.ResidualNet"/>, or <see cref="Sbi.Nn.ContextSplineMap"/> when D = 1).</summary>
    public nn.Module<Tensor, Tensor?, Tensor> TransformNet => transform_net;

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null) => Apply(inputs, context, inverse: false);

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null) => Apply(inputs, context, inverse: true);

    private (Tensor Outputs, Tensor? LogAbsDet) Apply(Tensor inputs, Tensor? context, bool inverse)
    {
        if (inputs.dim() != 2 || inputs.shape[1] != Features)
            throw new ArgumentException($"expected inputs of shape (N, {Features}); got ({string.Join(", ", inputs.shape)}).", nameof(inputs));
        long n = inputs.shape[0];
        long numTransformed = transform_features.shape[0];
        bool allTransformed = numTransformed == Features;
        // The identity split is the conditioner's input; with no identity features (D = 1) it is an empty (N, 0).
        var identitySplit = inputs.index_select(1, identity_features);
        var transformSplit = allTransformed ? inputs : inputs.index_select(1, transform_features);
        var parameters = transform_net.forward(identitySplit, context).view(n, numTransformed, 3 * _numBins - 1);
        var (transformed, logAbsDet) = RationalQuadraticSpline.ApplyPacked(transformSplit, parameters, _numBins, inverse,
            _tailBound, _divisor, _minBinWidth, _minBinHeight, _minDerivative);
        // Scatter back without in-place index assignment: concatenate [identity, transformed] and undo that order.
        var outputs = allTransformed
            ? transformed
            : cat(new[] { identitySplit, transformed }, 1).index_select(1, cat(new[] { identity_features, transform_features }).argsort());
        return (outputs, logAbsDet.sum(1));
    }
}
