using System.Runtime.CompilerServices;
using Sbi.Estimators;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// log q(θ | x_o) of an sbi MAF at one fixed observation on the CPU, as MKL GEMMs and AVX2 loops without a libtorch
/// call: the forward pass of <see cref="MafKernel.LogProb"/> (θ z-scoring, T × [tanh MADE affine layer, permutation],
/// standard-normal base) with the context term tanh(W_c c + b_c) of every layer computed once for x_o. MCMC evaluates
/// the potential for a block of ~20 rows a few hundred thousand times; through the modules each call is ~100 libtorch
/// ops, here it is T·(blocks + 2) small GEMMs. Weights are copied (masked) at creation, so a density reflects the
/// weights of that moment: create one per sampling run. Same maths as the modules, other float rounding (GEMM
/// order, the kernels' rational tanh), held to the modules' float64 log-densities by the tests.
/// </summary>
/// <remarks>Safe for concurrent calls: the weights are only read and each thread has its own work buffer.</remarks>
internal sealed unsafe class MafDensity
{
    private sealed class Layer
    {
        public required float[] W0, Bias0, Wf, Bf;
        public required float[][] Wb, Bb;
        public required int[] Perm;
    }

    [ThreadStatic] private static float[]? _work;

    private readonly MafLayout _layout;
    private readonly Layer[] _layers;
    private readonly float _logConst;

    private MafDensity(MafLayout layout, Layer[] layers)
    {
        _layout = layout;
        _layers = layers;
        _logConst = (float)(-0.5 * layout.D * Math.Log(2 * Math.PI) + layout.LogScaleSum);
    }

    /// <summary>θ dimension D.</summary>
    public int Features => _layout.D;

    /// <summary>
    /// The density of <paramref name="estimator"/> at the observation <paramref name="x"/> (1, *x_shape), or null with
    /// the reason when the estimator is not such a MAF on the CPU or the fused kernels cannot run here.
    /// </summary>
    public static MafDensity? TryCreate(ConditionalDensityEstimator estimator, Tensor x, out string reason)
    {
        if (estimator is not FlowEstimator fe) { reason = "the estimator is not a flow"; return null; }
        var layout = MafLayout.TryRead(fe.Net, out reason);
        if (layout is null) return null;
        if (x.shape[0] != 1) { reason = "x holds more than one observation"; return null; }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var context = fe.Embed(x.to(ScalarType.Float32, CPU));
        var layers = layout.Layers.Select(l => Prepare(l.Made, l.Perm, context)).ToArray();
        return new MafDensity(layout, layers);
    }

    private static float[] Floats(Tensor t) => t.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();

    private static Layer Prepare(Made made, int[] perm, Tensor context)
    {
        var masked = made.MaskedLayers.ToList();
        Tensor M(MaskedLinear l) => l.Weight * l.Mask;
        // nflows' MADE: tanh(W_0 y + b_0 + tanh(W_c c + b_c)); the bracket's constant part once per observation.
        var bias0 = masked[0].Bias.Plus(made.ContextTerm(context)!.reshape(-1));
        return new Layer
        {
            W0 = Floats(M(masked[0])),
            Bias0 = Floats(bias0),
            Wb = masked.Skip(1).Take(masked.Count - 2).Select(l => Floats(M(l))).ToArray(),
            Bb = masked.Skip(1).Take(masked.Count - 2).Select(l => Floats(l.Bias)).ToArray(),
            Wf = Floats(M(masked[^1])),
            Bf = Floats(masked[^1].Bias),
            Perm = perm,
        };
    }

    /// <summary>log q(θ_i | x_o) for <paramref name="n"/> rows θ (n × D, row-major float32) into <paramref name="result"/> (n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LogProb(ReadOnlySpan<float> theta, int n, Span<float> result)
    {
        int d = _layout.D, h = _layout.H, p = 2 * d;
        if (theta.Length < n * d) throw new ArgumentException($"theta must hold n × D = {n * d} values; got {theta.Length}.", nameof(theta));
        if (result.Length < n) throw new ArgumentException($"result must hold {n} values; got {result.Length}.", nameof(result));
        int need = n * (2 * d + 2 * h + p + 1);
        var work = _work is { } w && w.Length >= need ? w : (_work = new float[Math.Max(need, 2 * (_work?.Length ?? 0))]);
        Span<float> z = stackalloc float[d];
        using var threads = TorchNative.SingleThreadedMkl();
        fixed (float* th = theta, buffer = work, res = result)
        {
            float* y = buffer, next = y + n * d, a = next + n * d, b = a + n * h, pp = b + n * h, logDet = pp + n * p;
            var scale = _layout.Scale;
            var shift = _layout.Shift;
            for (int i = 0; i < n; i++)
            {
                logDet[i] = 0f;
                for (int j = 0; j < d; j++) y[i * d + j] = th[i * d + j] * scale[j] + shift[j];
            }
            foreach (var layer in _layers)
            {
                fixed (float* w0 = layer.W0, bias0 = layer.Bias0, wf = layer.Wf, bf = layer.Bf)
                {
                    VectorMath.FillRows(a, bias0, null, n, h);
                    TorchNative.Gemm(false, true, n, h, d, 1f, y, d, w0, d, 1f, a, h);
                    VectorMath.Tanh(a, a, n * h);
                    for (int k = 0; k < layer.Wb.Length; k++)
                    {
                        fixed (float* wk = layer.Wb[k], bk = layer.Bb[k])
                        {
                            VectorMath.FillRows(b, bk, null, n, h);
                            TorchNative.Gemm(false, true, n, h, h, 1f, a, h, wk, h, 1f, b, h);
                        }
                        VectorMath.Tanh(b, b, n * h);
                        float* swap = a; a = b; b = swap;
                    }
                    VectorMath.FillRows(pp, bf, null, n, p);
                    TorchNative.Gemm(false, true, n, p, h, 1f, a, h, wf, h, 1f, pp, p);
                }
                var perm = layer.Perm;
                for (int i = 0; i < n; i++)
                {
                    float ld = 0f;
                    for (int j = 0; j < d; j++)
                    {
                        float sc = VectorMath.Softplus(pp[i * p + 2 * j]) + MafLayout.MinScale;
                        z[j] = sc * y[i * d + j] + pp[i * p + 2 * j + 1];
                        ld += MathF.Log(sc);
                    }
                    logDet[i] += ld;
                    for (int j = 0; j < d; j++) next[i * d + j] = z[perm[j]];
                }
                float* t = y; y = next; next = t;
            }
            for (int i = 0; i < n; i++)
            {
                float sq = 0f;
                for (int j = 0; j < d; j++) sq += y[i * d + j] * y[i * d + j];
                res[i] = -0.5f * sq + _logConst + logDet[i];
            }
        }
    }
}
