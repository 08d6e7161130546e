using Sbi.Onnx.Graph;
using Sbi.Onnx.Model;
using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Export;

/// <summary>Pieces shared by all estimator graphs: I/O declarations, x standardisation, θ z-scoring.</summary>
internal static class ExportParts
{
    public static readonly float HalfLog2Pi = (float)(0.5 * Math.Log(2 * Math.PI));

    /// <summary>(x − μ)/σ with sbi's Standardize buffers, or x unchanged when x is not z-scored.</summary>
    public static string EmbedX(OnnxGraphBuilder g, string x, EstimatorModel m, string embeddingPrefix)
    {
        if (!m.XZScored) return x;
        var mean = m.PerFeature(embeddingPrefix + "0._mean", m.C);
        var std = m.PerFeature(embeddingPrefix + "0._std", m.C);
        return g.Div(g.Sub(x, g.Vector(mean, "x_mean")), g.Vector(std, "x_std"));
    }

    /// <summary>sbi's flow θ standardisation (nflows PointwiseAffineTransform, _scale = 1/σ, _shift = −μ/σ).</summary>
    public sealed record ThetaAffine(float[] Shift, float[] Scale)
    {
        public static ThetaAffine? Load(EstimatorModel m, string prefix) =>
            m.ThetaZScored ? new ThetaAffine(m.PerFeature(prefix + "_shift", m.D), m.PerFeature(prefix + "_scale", m.D)) : null;

        /// <summary>Forward: θ·scale + shift.</summary>
        public string Forward(OnnxGraphBuilder g, string theta) =>
            g.Add(g.Mul(theta, g.Vector(Scale, "theta_scale")), g.Vector(Shift, "theta_shift"));

        /// <summary>Inverse: (y − shift)/scale.</summary>
        public string Inverse(OnnxGraphBuilder g, string y) =>
            g.Div(g.Sub(y, g.Vector(Shift, "theta_shift")), g.Vector(Scale, "theta_scale"));

        /// <summary>Σ log|scale| (float32 sum, as torch computes it).</summary>
        public float LogDet()
        {
            float s = 0;
            foreach (var v in Scale) s += MathF.Log(MathF.Abs(v));
            return s;
        }
    }

    /// <summary>x · Bᵀ for a row-major block B (rows × cols): the MatMul weight is stored transposed.</summary>
    public static string MatMulT(OnnxGraphBuilder g, string x, float[] block, int rows, int cols, string hint)
    {
        var t = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = block[r * cols + c];
        return g.MatMul(x, g.Const(t, new long[] { cols, rows }, hint));
    }

    /// <summary>Picks entries of a vector.</summary>
    public static float[] Pick(float[] v, IReadOnlyList<int> idx) => idx.Select(i => v[i]).ToArray();

    /// <summary>Element-wise product W⊙M.</summary>
    public static float[] Masked(float[] w, float[] mask) => w.Select((v, i) => v * mask[i]).ToArray();

    /// <summary>softplus in float64, rounded (for constants folded at export time).</summary>
    public static float Softplus(float u) => (float)(u > 0 ? u + Math.Log(1 + Math.Exp(-u)) : Math.Log(1 + Math.Exp(u)));
}
