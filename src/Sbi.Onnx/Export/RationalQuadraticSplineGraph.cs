using Sbi.Format;
using Sbi.Onnx.Graph;

namespace Sbi.Onnx.Export;

/// <summary>
/// nflows' unconstrained rational-quadratic spline with linear tails (nflows/transforms/splines/rational_quadratic.py, unconstrained_rational_quadratic_spline) as ONNX ops, applied
/// element-wise to x [..., F] with parameters [..., F·(3K−1)] (feature-major: K widths, K heights,
/// K−1 interior derivatives). Export-friendly rewrites of the library code, all exact for inputs
/// inside [−B, B]: no boolean-mask indexing (the spline runs on Clip(x, −B, B) and Where picks the
/// identity tail outside); searchsorted is a sum of comparisons; the end knots are forced to ±B by
/// padding with 0 and adding [−B, 0, …, 0, B].
/// </summary>
internal sealed class RationalQuadraticSplineGraph
{
    private const float MinBinWidth = (float)EstimatorConstants.SplineMinBinWidth, MinBinHeight = (float)EstimatorConstants.SplineMinBinHeight,
        MinDerivative = (float)EstimatorConstants.SplineMinDerivative, SearchEps = 1e-6f;

    private readonly OnnxGraphBuilder _g;
    private readonly int _k, _leadRank;
    private readonly float _bound, _sqrtHidden;

    /// <param name="leadRank">Number of leading (batch) axes before the feature axis.</param>
    /// <param name="hiddenFeatures">nflows divides width/height logits by sqrt(hidden_features) of the conditioner.</param>
    public RationalQuadraticSplineGraph(OnnxGraphBuilder g, int numBins, float tailBound, int hiddenFeatures, int leadRank)
    {
        _g = g;
        _k = numBins;
        _bound = tailBound;
        _sqrtHidden = (float)Math.Sqrt(hiddenFeatures);
        _leadRank = leadRank;
    }

    /// <summary>Forward y = s(x) and log|ds/dx| summed over the F features ([...]).</summary>
    public (string y, string logDet) Forward(string x, string parameters, int features)
    {
        var g = _g;
        var k = Knots(parameters, features);
        var inside = Inside(x);
        var xin = g.Unsqueeze(g.Clip(x, -_bound, _bound), -1);                          // [..., F, 1]
        var idx = BinIndex(xin, k.CumWidths);
        var s = Gathered(k, idx);
        var theta = g.Div(g.Sub(xin, s.CumWidth), s.Width);
        var oneMinus = g.Sub(g.Scalar(1f), theta);
        var t1m = g.Mul(theta, oneMinus);
        var theta2 = g.Mul(theta, theta);
        var numerator = g.Mul(s.Height, g.Add(g.Mul(s.Delta, theta2), g.Mul(s.D0, t1m)));
        var sumD = g.Sub(g.Add(s.D0, s.D1), g.Mul(g.Scalar(2f), s.Delta));
        var denominator = g.Add(s.Delta, g.Mul(sumD, t1m));
        var y = g.Add(s.CumHeight, g.Div(numerator, denominator));
        var dNum = g.Mul(g.Mul(s.Delta, s.Delta),
            g.Add(g.Add(g.Mul(s.D1, theta2), g.Mul(g.Mul(g.Scalar(2f), s.Delta), t1m)), g.Mul(s.D0, g.Mul(oneMinus, oneMinus))));
        var lad = g.Sub(g.Log(dNum), g.Mul(g.Scalar(2f), g.Log(denominator)));
        y = g.Where(inside, g.Squeeze(y, -1), x);
        lad = g.Where(inside, g.Squeeze(lad, -1), g.Scalar(0f));
        return (y, g.ReduceSum(lad, -1, keepDims: false));
    }

    /// <summary>Inverse x = s⁻¹(y) (root of the quadratic, as nflows computes it).</summary>
    public string Inverse(string y, string parameters, int features)
    {
        var g = _g;
        var k = Knots(parameters, features);
        var inside = Inside(y);
        var yin = g.Unsqueeze(g.Clip(y, -_bound, _bound), -1);
        var idx = BinIndex(yin, k.CumHeights);
        var s = Gathered(k, idx);
        var dy = g.Sub(yin, s.CumHeight);
        var sumD = g.Sub(g.Add(s.D0, s.D1), g.Mul(g.Scalar(2f), s.Delta));
        var a = g.Add(g.Mul(dy, sumD), g.Mul(s.Height, g.Sub(s.Delta, s.D0)));
        var b = g.Sub(g.Mul(s.Height, s.D0), g.Mul(dy, sumD));
        var c = g.Neg(g.Mul(s.Delta, dy));
        // nflows asserts b² − 4ac ≥ 0; a float32 round-off below 0 would give NaN here, so clamp at 0.
        var disc = g.Relu(g.Sub(g.Mul(b, b), g.Mul(g.Mul(g.Scalar(4f), a), c)));
        var root = g.Div(g.Mul(g.Scalar(2f), c), g.Sub(g.Neg(b), g.Sqrt(disc)));
        var x = g.Add(g.Mul(root, s.Width), s.CumWidth);
        return g.Where(inside, g.Squeeze(x, -1), y);
    }

    private string Inside(string v) =>
        _g.And(_g.GreaterOrEqual(v, _g.Scalar(-_bound)), _g.LessOrEqual(v, _g.Scalar(_bound)));

    private sealed record KnotSet(string CumWidths, string Widths, string CumHeights, string Heights, string Derivatives);

    private sealed record Selected(string CumWidth, string Width, string CumHeight, string Height, string Delta, string D0, string D1);

    private KnotSet Knots(string parameters, int features)
    {
        var g = _g;
        var shape = Enumerable.Repeat(0L, _leadRank).Concat(new long[] { features, 3 * _k - 1 }).ToArray();
        var p = g.Reshape(parameters, shape);                                              // [..., F, 3K−1]
        var uw = g.Div(g.Slice(p, -1, 0, _k), g.Scalar(_sqrtHidden));
        var uh = g.Div(g.Slice(p, -1, _k, 2 * _k), g.Scalar(_sqrtHidden));
        var ud = g.Slice(p, -1, 2 * _k, 3 * _k - 1);
        var (cw, w) = CumulativeKnots(uw, MinBinWidth);
        var (ch, h) = CumulativeKnots(uh, MinBinHeight);
        // Linear tails: boundary derivative logits = log(exp(1 − m) − 1), so softplus + m = 1.
        float constant = (float)Math.Log(Math.Exp(1 - MinDerivative) - 1);
        var udPadded = PadLast(ud, 1, 1, constant);
        var derivatives = g.Add(g.Scalar(MinDerivative), g.Softplus(udPadded));          // [..., F, K+1]
        return new KnotSet(cw, w, ch, h, derivatives);
    }

    /// <summary>softmax → min + (1 − min·K)·p → cumsum → knots on [−B, B] with exact ends → bin sizes.</summary>
    private (string cum, string sizes) CumulativeKnots(string logits, float min)
    {
        var g = _g;
        var p = g.Add(g.Scalar(min), g.Mul(g.Scalar(1 - min * _k), g.Softmax(logits, -1)));
        var cum = g.CumSum(p, -1);                                                          // [..., F, K]
        var interior = g.Add(g.Mul(g.Scalar(2 * _bound), g.Slice(cum, -1, 0, _k - 1)), g.Scalar(-_bound));
        var ends = new float[_k + 1];
        ends[0] = -_bound;
        ends[_k] = _bound;
        var knots = g.Add(PadLast(interior, 1, 1, 0f), g.Vector(ends, "knot_ends"));        // [..., F, K+1]
        var sizes = g.Sub(g.Slice(knots, -1, 1, _k + 1), g.Slice(knots, -1, 0, _k));
        return (knots, sizes);
    }

    /// <summary>nflows searchsorted: (number of knots ≤ v, last knot + 1e-6) − 1, as int64 [..., F, 1].</summary>
    private string BinIndex(string v, string knots)
    {
        var g = _g;
        var eps = new float[_k + 1];
        eps[_k] = SearchEps;
        var loc = g.Add(knots, g.Vector(eps, "search_eps"));
        var count = g.ReduceSum(g.CastInt64(g.GreaterOrEqual(v, loc)), -1, keepDims: true);
        return g.Sub(count, g.ConstInt64(new[] { 1L }, Array.Empty<long>(), "one"));
    }

    private Selected Gathered(KnotSet k, string idx)
    {
        var g = _g;
        string G(string data) => g.GatherElements(data, idx, -1);
        var width = G(k.Widths);
        var height = G(k.Heights);
        var delta = G(g.Div(k.Heights, k.Widths));
        var d1 = g.GatherElements(g.Slice(k.Derivatives, -1, 1, _k + 1), idx, -1);
        return new Selected(G(k.CumWidths), width, G(k.CumHeights), height, delta, G(k.Derivatives), d1);
    }

    private string PadLast(string v, long before, long after, float value)
    {
        int rank = _leadRank + 2;
        var pads = new long[2 * rank];
        pads[rank - 1] = before;
        pads[2 * rank - 1] = after;
        return _g.Op("Pad", v, _g.Ints(pads), _g.Scalar(value));
    }
}
