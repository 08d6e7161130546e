using Sbi.Onnx.Graph;

namespace Sbi.Onnx.Export;

/// <summary>
/// Feature-major ("transposed") layout for the autoregressive samplers: every tensor is [features, R]
/// with R = B·S draws as the long, contiguous axis. Why: ONNX Runtime's element-wise ops broadcast a
/// per-feature bias [n, 1] over spans of R values (fast), whereas the row-major [R, n] + [n] form loops over
/// R spans of only n ≈ 12 values; Concat/Slice along the feature axis become single memcpys; and the
/// MatMuls W[n, k]·H[k, R] keep the long axis as GEMM's N. Measured on maf_D5: ~3× faster sampling.
/// </summary>
internal sealed class FeatureMajor
{
    private readonly OnnxGraphBuilder _g;
    private readonly string _noise;
    private readonly int _width;
    private string? _expandShape;

    /// <param name="noise">a [B, S, width] graph input.</param>
    public FeatureMajor(OnnxGraphBuilder g, string noise, int width)
    {
        _g = g;
        _noise = noise;
        _width = width;
    }

    /// <summary>[B, S, w] input → [w, R].</summary>
    public string Rows(string input, int w) => _g.Transpose(_g.Reshape(input, -1, w), 1, 0);

    /// <summary>Per-x values [n, B] → per-draw [n, R] (each x's column repeated for its S draws).</summary>
    public string PerDraw(string perX, int n)
    {
        // Expand [n, B, 1] against [1, B, S]; the shape tensor comes from the noise input at run time.
        _expandShape ??= _g.Concat(0, _g.Ints(1), _g.Slice(_g.Shape(_noise), 0, 0, 2));
        return _g.Reshape(_g.Expand(_g.Unsqueeze(perX, 2), _expandShape), n, -1);
    }

    /// <summary>[D, R] → [B, S, D] in the noise input's batch shape.</summary>
    public string ToOutput(string rowsT, int d)
    {
        var shape = _g.Concat(0, _g.Slice(_g.Shape(_noise), 0, 0, 2), _g.Ints(d));
        return _g.Op("Reshape", _g.Transpose(rowsT, 1, 0), shape);
    }

    /// <summary>W·H for a constant row-major block W [rows, cols] and H [cols, R].</summary>
    public string MatMul(float[] block, int rows, int cols, string h, string hint) =>
        _g.MatMul(_g.Const(block, new long[] { rows, cols }, hint), h);

    /// <summary>A per-feature column constant [n, 1].</summary>
    public string Column(float[] v, string hint) => _g.Const(v, new long[] { v.Length, 1 }, hint);
}
