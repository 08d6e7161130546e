using System.Text.Json.Nodes;
using Sbi.Format;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Package;

namespace Sbi.Onnx.Export;

/// <summary>
/// A prior's θ transform T: θ ↦ z (Sbi.Net's <c>IBijector</c>, sbi's <c>mcmc_transform</c>) as graph operations, the map
/// a variational posterior's q lives behind: <see cref="SigmoidBox"/> (a box prior: z = logit((θ − low)/w) with the
/// box-normalised θ clamped to [tiny, 1 − eps] as torch does, θ = low + w·sigmoid(z)) and <see cref="Affine"/> (any other
/// prior: z = (θ − loc)/scale with the prior's mean and standard deviation). Read off the package's prior with
/// <see cref="OfPrior"/>, with the float32 values Sbi.Net's transforms hold.
/// </summary>
public abstract record ThetaTransformSpec
{
    /// <summary>The transform Sbi.Net uses for <paramref name="prior"/> (its <c>ThetaTransform</c>).</summary>
    public static ThetaTransformSpec OfPrior(PriorSpec prior) => prior switch
    {
        BoxUniformSpec b => new SigmoidBox(b.Low, b.Low.Select((l, i) => b.High[i] - l).ToArray()),
        // MultivariateNormal.Stddev is the float32 square root of the covariance's diagonal.
        MultivariateNormalSpec n => new Affine(n.Loc, Enumerable.Range(0, n.D).Select(i => MathF.Sqrt(n.Covariance[i, i])).ToArray()),
        _ => throw new ArgumentException($"no θ transform is known for a '{prior?.Kind}' prior.", nameof(prior)),
    };

    /// <summary>θ = T⁻¹(z) for a tensor whose last axis holds the D entries.</summary>
    public abstract string Inverse(OnnxGraphBuilder g, string z);

    /// <summary>z = T(θ) and log |det ∂z/∂θ| per row, for θ [N, D].</summary>
    public abstract (string Z, string LogAbsDet) Forward(OnnxGraphBuilder g, string theta);

    /// <summary>The manifest's description.</summary>
    public abstract JsonObject ToJson();

    /// <summary>Σ log vᵢ summed in float32, left to right (torch's sum of a short vector).</summary>
    protected static float LogSum(float[] v)
    {
        float s = 0;
        foreach (var x in v) s += MathF.Log(x);
        return s;
    }

    /// <summary>The logit of the box-normalised θ.</summary>
    public sealed record SigmoidBox(float[] Low, float[] Width) : ThetaTransformSpec
    {
        private const float Tiny = 1.17549435e-38f, Eps = 1.1920929e-07f;   // torch.finfo(float32).tiny, .eps

        /// <inheritdoc/>
        public override string Inverse(OnnxGraphBuilder g, string z) =>
            g.Add(g.Vector(Low, "vi_low"), g.Mul(g.Vector(Width, "vi_width"), g.Sigmoid(z)));

        /// <inheritdoc/>
        public override (string Z, string LogAbsDet) Forward(OnnxGraphBuilder g, string theta)
        {
            var s = g.Clip(g.Div(g.Sub(theta, g.Vector(Low, "vi_low")), g.Vector(Width, "vi_width")), Tiny, 1 - Eps);
            var logS = g.Log(s);
            var log1mS = g.Log(g.Sub(g.Scalar(1f), s));   // ONNX has no log1p; 1 − s is exact for s ≥ 1/2
            var z = g.Sub(logS, log1mS);
            var logDet = g.Sub(g.Neg(g.ReduceSum(g.Add(logS, log1mS), 1, keepDims: false)), g.Scalar(LogSum(Width)));
            return (z, logDet);
        }

        /// <inheritdoc/>
        public override JsonObject ToJson() => new()
        {
            ["kind"] = "sigmoid_box", ["low"] = PosteriorManifest.Arr(Low), ["width"] = PosteriorManifest.Arr(Width),
        };
    }

    /// <summary>Standardisation by the prior's mean and standard deviation.</summary>
    public sealed record Affine(float[] Loc, float[] Scale) : ThetaTransformSpec
    {
        /// <inheritdoc/>
        public override string Inverse(OnnxGraphBuilder g, string z) =>
            g.Add(g.Vector(Loc, "vi_loc"), g.Mul(g.Vector(Scale, "vi_scale"), z));

        /// <inheritdoc/>
        public override (string Z, string LogAbsDet) Forward(OnnxGraphBuilder g, string theta)
        {
            var z = g.Div(g.Sub(theta, g.Vector(Loc, "vi_loc")), g.Vector(Scale, "vi_scale"));
            // A constant per row: broadcast it over the rows of θ through a zero row sum.
            var zeroRows = g.Mul(g.ReduceSum(theta, 1, keepDims: false), g.Scalar(0f));
            return (z, g.Sub(zeroRows, g.Scalar(LogSum(Scale))));
        }

        /// <inheritdoc/>
        public override JsonObject ToJson() => new()
        {
            ["kind"] = "affine", ["loc"] = PosteriorManifest.Arr(Loc), ["scale"] = PosteriorManifest.Arr(Scale),
        };
    }
}
