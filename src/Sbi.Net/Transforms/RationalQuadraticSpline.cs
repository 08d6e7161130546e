using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// nflows' monotonic rational-quadratic spline (Durkan et al. 2019) on [−B, B] with linear (identity) tails,
/// the map behind sbi's NSF. Same arithmetic as nflows' <c>unconstrained_rational_quadratic_spline</c>, written
/// export-friendly: no boolean-mask indexing and no data-dependent branches. The spline is evaluated on inputs
/// clamped into [−B, B], the bin is found as a sum of comparisons and read with <c>gather</c>, and the tails are
/// chosen with <c>where</c>; inside [−B, B] (inclusive, as in nflows) the results equal nflows' to float rounding.
/// </summary>
public static class RationalQuadraticSpline
{
    /// <summary>nflows' default minimum bin width (fraction of the interval).</summary>
    public const double DefaultMinBinWidth = EstimatorConstants.SplineMinBinWidth;

    /// <summary>nflows' default minimum bin height (fraction of the interval).</summary>
    public const double DefaultMinBinHeight = EstimatorConstants.SplineMinBinHeight;

    /// <summary>nflows' default minimum knot derivative.</summary>
    public const double DefaultMinDerivative = EstimatorConstants.SplineMinDerivative;

    private static readonly Dictionary<string, Tensor> Offsets = new();

    // The constant [0, 1] per device, used to turn a bin index into the index pair (bin, bin + 1).
    private static Tensor PairOffsets(Device device)
    {
        lock (Offsets)
        {
            var key = device.ToString();
            if (!Offsets.TryGetValue(key, out var t))
                Offsets[key] = t = tensor(new long[] { 0, 1 }, device: device).DetachFromDisposeScope();
            return t;
        }
    }

    /// <summary>
    /// Applies the spline elementwise. <paramref name="inputs"/> has any shape S; the unnormalised widths and heights
    /// have shape (S, K) and the unnormalised interior derivatives (S, K − 1). Returns outputs and the elementwise
    /// log|dy/dx| (shape S) of the direction computed (the inverse returns the inverse map's log-derivative).
    /// </summary>
    public static (Tensor Outputs, Tensor LogAbsDet) Apply(
        Tensor inputs, Tensor unnormalizedWidths, Tensor unnormalizedHeights, Tensor unnormalizedDerivatives,
        bool inverse = false, double tailBound = 3.0,
        double minBinWidth = DefaultMinBinWidth, double minBinHeight = DefaultMinBinHeight, double minDerivative = DefaultMinDerivative)
    {
        int k = (int)unnormalizedWidths.shape[^1];
        if (unnormalizedHeights.shape[^1] != k || unnormalizedDerivatives.shape[^1] != k - 1)
            throw new ArgumentException($"expected K widths, K heights and K − 1 derivatives; got {unnormalizedWidths.shape[^1]}, {unnormalizedHeights.shape[^1]}, {unnormalizedDerivatives.shape[^1]}.");
        using var scope = NewDisposeScope();
        var packed = cat(new[] { unnormalizedWidths, unnormalizedHeights, unnormalizedDerivatives }, -1);
        var (o, ld) = ApplyPacked(inputs, packed, k, inverse, tailBound, 1.0, minBinWidth, minBinHeight, minDerivative);
        return (o.MoveToOuterDisposeScope(), ld.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Applies the spline with the parameters packed as nflows' coupling layers lay them out: <paramref name="parameters"/>
    /// has shape (S, 3K − 1) = [K widths, K heights, K − 1 interior derivatives] per input element. Widths and heights
    /// are divided by <paramref name="widthHeightDivisor"/> first (nflows: sqrt(hidden features) of the conditioner).
    /// </summary>
    /// <remarks>
    /// When gradients are needed in the forward direction (training), the spline runs as one custom autograd function
    /// (<see cref="RationalQuadraticSplineFunction"/>): the same forward arithmetic without recording ~60 graph nodes,
    /// and an analytic backward. Otherwise (sampling, evaluation) the plain tensor ops below run.
    /// </remarks>
    public static (Tensor Outputs, Tensor LogAbsDet) ApplyPacked(
        Tensor inputs, Tensor parameters, int numBins, bool inverse, double tailBound, double widthHeightDivisor = 1.0,
        double minBinWidth = DefaultMinBinWidth, double minBinHeight = DefaultMinBinHeight, double minDerivative = DefaultMinDerivative)
    {
        int k = numBins;
        if (parameters.shape[^1] != 3 * k - 1)
            throw new ArgumentException($"parameters must have 3K − 1 = {3 * k - 1} entries in the last dimension; got {parameters.shape[^1]}.", nameof(parameters));
        if (!inputs.shape.SequenceEqual(parameters.shape[..^1]))
            throw new ArgumentException($"inputs ({string.Join(", ", inputs.shape)}) must have the leading shape of parameters ({string.Join(", ", parameters.shape)}).", nameof(inputs));
        if (minBinWidth * k > 1.0) throw new ArgumentException("minimal bin width too large for the number of bins.", nameof(minBinWidth));
        if (minBinHeight * k > 1.0) throw new ArgumentException("minimal bin height too large for the number of bins.", nameof(minBinHeight));
        if (!inverse && is_grad_enabled() && (inputs.requires_grad || parameters.requires_grad))
        {
            var r = RationalQuadraticSplineFunction.apply(inputs, parameters, numBins, tailBound, widthHeightDivisor, minBinWidth, minBinHeight, minDerivative);
            return (r[0], r[1]);
        }
        return Evaluate(inputs, parameters, numBins, inverse, tailBound, widthHeightDivisor, minBinWidth, minBinHeight, minDerivative, null);
    }

    /// <summary>
    /// The spline's tensor arithmetic (nflows' operation order). With <paramref name="saved"/> (forward direction only)
    /// the intermediates <see cref="RationalQuadraticSplineFunction"/> needs for its backward are appended to it.
    /// </summary>
    internal static (Tensor Outputs, Tensor LogAbsDet) Evaluate(
        Tensor inputs, Tensor parameters, int numBins, bool inverse, double tailBound, double widthHeightDivisor,
        double minBinWidth, double minBinHeight, double minDerivative, List<Tensor>? saved)
    {
        int k = numBins;
        double b = tailBound;
        var lead = parameters.shape[..^1];

        // Widths and heights together: (S, 2, K), one softmax for both.
        var wh = parameters.narrow(-1, 0, 2 * k);
        if (widthHeightDivisor != 1.0) wh = wh / Scalars.Of(widthHeightDivisor);   // a division, as nflows does it
        // libtorch's softmax over the short last dimension is slow (moving the bins to a leading dimension is 4x
        // faster), but only this kernel reproduces PyTorch's rounding; and bin-width rounding is amplified ~100x in
        // the log-density of narrow bins, so the sbi parity of the NSF log_prob depends on it.
        var probabilities = softmax(wh.reshape(lead.Append(2L).Append((long)k).ToArray()), -1);
        wh = minBinWidth == minBinHeight
            ? (probabilities * Scalars.Of(1 - minBinWidth * k)).Plus(Scalars.Of(minBinWidth))
            : (probabilities * tensor(new[] { 1 - minBinWidth * k, 1 - minBinHeight * k }).view(2, 1).to(wh.dtype, wh.device))
                 .Plus(tensor(new[] { minBinWidth, minBinHeight }).view(2, 1).to(wh.dtype, wh.device));
        // Interior knots 2B·cumsum − B (nflows: (right − left)·cumsum + left; its first and last knots are then set
        // to exactly −B and B, which the pads below produce directly).
        var interior = wh.narrow(-1, 0, k - 1).cumsum(-1) * Scalars.Of(2 * b) - Scalars.Of(b);               // (S, 2, K − 1)
        var knots = nn.functional.pad(nn.functional.pad(interior, (1L, 0L), value: -b), (0L, 1L), value: b); // (S, 2, K + 1)

        // Knot derivatives: interior ones from the net, the two boundary ones fixed so that they equal 1 (linear tails).
        double boundary = Math.Log(Math.Exp(1 - minDerivative) - 1);
        var derivatives = Scalars.Softplus(nn.functional.pad(parameters.narrow(-1, 2 * k, k - 1), (1L, 1L), value: boundary)).Plus(Scalars.Of(minDerivative));
        var table = cat(new[] { knots, derivatives.unsqueeze(-2) }, -2);                  // (S, 3, K + 1): x knots, y knots, d

        // Evaluate on clamped inputs (always finite), choose the identity outside [−B, B] at the end.
        var clamped = inputs.clamp(Scalars.Of(-b), Scalars.Of(b));
        // Bin = number of interior knots ≤ input (nflows: knots ≤ input − 1, with the last knot raised by 1e-6, which
        // never counts for inputs ≤ B, and the first, −B, which always counts).
        // (searchsorted with right = true counts the knots ≤ input; ONNX exporters write it as a sum of comparisons.)
        var searchKnots = interior.select(-2, inverse ? 1 : 0).contiguous();
        var bin = searchsorted(searchKnots, clamped.unsqueeze(-1), right: true);                       // (S, 1)
        var index = bin.Plus(PairOffsets(bin.device)).unsqueeze(-2).expand(lead.Append(3L).Append(2L).ToArray()); // [bin, bin + 1]
        var picked = table.gather(-1, index).flatten(-2).unbind(-1);
        Tensor x0 = picked[0], x1 = picked[1], y0 = picked[2], y1 = picked[3], d0 = picked[4], d1 = picked[5];
        var w = x1 - x0;
        var h = y1 - y0;
        var s = h / w;
        var twoS = Scalars.Of(2) * s;
        var dSum = d0.Plus(d1) - twoS;

        Tensor outputs, logAbsDet;
        if (!inverse)
        {
            var xi = (clamped - x0) / w;
            var xi1m = xi.SubtractedFrom(Scalars.Of(1));
            var t = xi * xi1m;
            var xi2 = xi.Squared();
            var a = (s * xi2).Plus(d0 * t);
            var numerator = h * a;
            var denominator = s.Plus(dSum * t);
            outputs = y0.Plus(numerator / denominator);
            var bracket = (d1 * xi2).Plus(twoS * t).Plus(d0 * xi1m.Squared());
            var derivativeNumerator = s.Squared() * bracket;
            logAbsDet = derivativeNumerator.log() - Scalars.Of(2) * denominator.log();
            saved?.AddRange(new[] { xi, xi1m, t, s, h, w, d0, d1, dSum, denominator, a, bracket,
                                    bin, probabilities, parameters.narrow(-1, 2 * k, k - 1) });
        }
        else
        {
            var dy = clamped - y0;
            var a = (dy * dSum).Plus(h * (s - d0));
            var bq = h * d0 - dy * dSum;
            var c = -s * dy;
            // nflows asserts a non-negative discriminant; rounding can make it −1e-12-ish, so it is clamped at 0.
            var discriminant = (bq.Squared() - Scalars.Of(4) * a * c).clamp_min(Scalars.Of(0));
            var root = Scalars.Of(2) * c / (-bq - discriminant.sqrt());
            outputs = (root * w).Plus(x0);
            var root1m = root.SubtractedFrom(Scalars.Of(1));
            var t = root * root1m;
            var denominator = s.Plus(dSum * t);
            var derivativeNumerator = s.Squared() * (d1 * root.Squared()).Plus(twoS * t).Plus(d0 * root1m.Squared());
            logAbsDet = -(derivativeNumerator.log() - Scalars.Of(2) * denominator.log());
        }
        var inside = clamped.eq(inputs);   // −B ≤ x ≤ B (inclusive, as nflows); false for NaN
        saved?.Insert(0, inside);
        return (where(inside, outputs, inputs), where(inside, logAbsDet, zeros_like(logAbsDet)));
    }
}
