using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// <remarks>Safe for concurrent calls: the weights are only read and each thread has its own work buffer; both are
/// 64-byte aligned, so a row's value does not depend on the thread that computes it (see <c>Aligned</c>).</remarks>
internal sealed unsafe class MafDensity
{
    private sealed class Layer
    {
        public required float* W0, Bias0, Wf, Bf;
        public required IntPtr[] Wb, Bb;
        public required int[] Perm;
    }

    /// <summary>
    /// A 64-byte aligned native block, freed by its finalizer. Alignment matters beyond speed: MKL's sgemm picks its
    /// summation path by the operands' alignment, so managed arrays (16-byte aligned, wherever the GC puts them) would
    /// make a row's log-density depend on the thread and the allocation, and the chains' draws on the worker count.
    /// </summary>
    private sealed class Aligned
    {
        public Aligned(long floats)
        {
            Length = floats;
            Pointer = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, floats) * sizeof(float)), 64);
        }

        public float* Pointer { get; }
        public long Length { get; }

        ~Aligned() => NativeMemory.AlignedFree(Pointer);
    }

    /// <summary>Floats rounded up to whole 64-byte lines, so that every sub-buffer starts aligned.</summary>
    private static long Lines(long floats) => (floats + 15) / 16 * 16;

    [ThreadStatic] private static Aligned? _work;

    private readonly MafLayout _layout;
    private readonly Layer[] _layers;
    private readonly Aligned _weights;
    private readonly float _logConst;

    private MafDensity(MafLayout layout, Layer[] layers, Aligned weights)
    {
        _layout = layout;
        _layers = layers;
        _weights = weights;
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
        var arrays = layout.Layers.Select(l => Arrays(l.Made, context)).ToList();
        var weights = new Aligned(arrays.SelectMany(a => a).Sum(a => Lines(a.Length)));
        float* cursor = weights.Pointer;
        float* Put(float[] values)
        {
            float* at = cursor;
            values.AsSpan().CopyTo(new Span<float>(at, values.Length));
            cursor += Lines(values.Length);
            return at;
        }
        var layers = new Layer[arrays.Count];
        for (int t = 0; t < arrays.Count; t++)
        {
            var a = arrays[t];
            int blocks = (a.Count - 4) / 2;
            layers[t] = new Layer
            {
                W0 = Put(a[0]), Bias0 = Put(a[1]),
                Wb = Enumerable.Range(0, blocks).Select(k => (IntPtr)Put(a[2 + 2 * k])).ToArray(),
                Bb = Enumerable.Range(0, blocks).Select(k => (IntPtr)Put(a[3 + 2 * k])).ToArray(),
                Wf = Put(a[^2]), Bf = Put(a[^1]),
                Perm = layout.Layers[t].Perm,
            };
        }
        return new MafDensity(layout, layers, weights);
    }

    private static float[] Floats(Tensor t) => t.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();

    /// <summary>A layer's masked weights and biases: W₀, b₀ + context term, then (W, b) per block, then W_f, b_f.</summary>
    private static List<float[]> Arrays(Made made, Tensor context)
    {
        var masked = made.MaskedLayers.ToList();
        Tensor M(MaskedLinear l) => l.Weight * l.Mask;
        // nflows' MADE: tanh(W_0 y + b_0 + tanh(W_c c + b_c)); the bracket's constant part once per observation.
        var result = new List<float[]> { Floats(M(masked[0])), Floats(masked[0].Bias.Plus(made.ContextTerm(context)!.reshape(-1))) };
        foreach (var l in masked.Skip(1).Take(masked.Count - 2))
        {
            result.Add(Floats(M(l)));
            result.Add(Floats(l.Bias));
        }
        result.Add(Floats(M(masked[^1])));
        result.Add(Floats(masked[^1].Bias));
        return result;
    }

    /// <summary>
    /// Rows per <see cref="LogProb(ReadOnlySpan{float}, int, Span{float})"/> call in <see cref="LogProbRows"/>: the work
    /// buffer of 2,048 rows (H = 50: ~0.9 MB) stays in the L2/L3 caches, where one call on 320,000 rows (importance
    /// sampling's 32 candidates per sample) streams ~150 MB through memory for every layer.
    /// </summary>
    public const int ChunkRows = 2048;

    /// <summary>
    /// log q(θ | x_o) of rows <paramref name="theta"/> (n, D) as a float32 tensor (n), in chunks of <see cref="ChunkRows"/>
    /// spread over at most <paramref name="threads"/> threads (each chunk's values do not depend on the thread: see the
    /// remarks on alignment).
    /// </summary>
    public Tensor LogProbRows(Tensor theta, int threads)
    {
        using var scope = NewDisposeScope();
        var th = theta.to(ScalarType.Float32, CPU).contiguous();
        int n = checked((int)th.shape[0]), d = _layout.D;
        var values = th.data<float>().ToArray();
        var result = new float[n];
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, c =>
        {
            int start = c * ChunkRows, rows = Math.Min(ChunkRows, n - start);
            LogProb(values.AsSpan(start * d, rows * d), rows, result.AsSpan(start, rows));
        });
        return tensor(result).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// log q(θ_i | x_o) and its gradient ∂/∂θ_i for <paramref name="n"/> rows θ (n × D, row-major float32): the forward pass
    /// of <see cref="LogProb(ReadOnlySpan{float}, int, Span{float})"/> keeping every layer's input and activations, then
    /// the chain rule back through each layer (permutation, affine z = s·y + t with s = softplus(·) + min scale and
    /// log s in the log-determinant, the MADE's final layer, each tanh block, the first layer) and the θ z-scoring.
    /// What HMC and NUTS call once per leapfrog step for a few rows, where autograd through the modules costs ~2 ms a
    /// call in op dispatch. Plain loops: at these row counts the matrix products are a few thousand multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LogProbAndGradient(ReadOnlySpan<float> theta, int n, Span<float> result, Span<float> gradient)
    {
        int d = _layout.D, h = _layout.H, p = 2 * d, layers = _layers.Length;
        if (theta.Length < n * d) throw new ArgumentException($"theta must hold n × D = {n * d} values; got {theta.Length}.", nameof(theta));
        if (result.Length < n) throw new ArgumentException($"result must hold {n} values; got {result.Length}.", nameof(result));
        if (gradient.Length < n * d) throw new ArgumentException($"gradient must hold n × D = {n * d} values; got {gradient.Length}.", nameof(gradient));
        int blocks = _layers.Length == 0 ? 0 : _layers[0].Wb.Length;
        // Per layer: its input y (d), the activations of the first layer and each block (h each), the outputs pp (p).
        var ys = new float[(layers + 1) * d];
        var acts = new float[layers * (blocks + 1) * h];
        var pps = new float[layers * p];
        // Work arrays once per call: a stackalloc inside the row and layer loops would grow the stack by n·T blocks.
        var gpp = new float[p];
        var gy = new float[d];
        var gz = new float[d];
        var ga = new float[h];
        var gb = new float[h];
        var z = new float[d];
        var scale = _layout.Scale;
        var shift = _layout.Shift;
        for (int row = 0; row < n; row++)
        {
            var th = theta.Slice(row * d, d);
            for (int j = 0; j < d; j++) ys[j] = th[j] * scale[j] + shift[j];
            float logDet = 0f;
            for (int t = 0; t < layers; t++)
            {
                var layer = _layers[t];
                var y = ys.AsSpan(t * d, d);
                var a0 = acts.AsSpan((t * (blocks + 1)) * h, h);
                Dense(layer.W0, layer.Bias0, y, a0, h, d, tanh: true);
                for (int k = 0; k < blocks; k++)
                    Dense((float*)layer.Wb[k], (float*)layer.Bb[k], acts.AsSpan((t * (blocks + 1) + k) * h, h),
                          acts.AsSpan((t * (blocks + 1) + k + 1) * h, h), h, h, tanh: true);
                var pp = pps.AsSpan(t * p, p);
                Dense(layer.Wf, layer.Bf, acts.AsSpan((t * (blocks + 1) + blocks) * h, h), pp, p, h, tanh: false);
                for (int j = 0; j < d; j++)
                {
                    float sc = VectorMath.Softplus(pp[2 * j]) + MafLayout.MinScale;
                    z[j] = sc * y[j] + pp[2 * j + 1];
                    logDet += MathF.Log(sc);
                }
                var next = ys.AsSpan((t + 1) * d, d);
                for (int j = 0; j < d; j++) next[j] = z[layer.Perm[j]];
            }
            var last = ys.AsSpan(layers * d, d);
            float sq = 0f;
            for (int j = 0; j < d; j++) sq += last[j] * last[j];
            result[row] = -0.5f * sq + _logConst + logDet;

            // Backward: ∂/∂y of the standard-normal base, then each layer from the last.
            for (int j = 0; j < d; j++) gy[j] = -last[j];
            for (int t = layers - 1; t >= 0; t--)
            {
                var layer = _layers[t];
                var y = ys.AsSpan(t * d, d);
                var pp = pps.AsSpan(t * p, p);
                for (int j = 0; j < d; j++) gz[layer.Perm[j]] = gy[j];
                // ∂/∂pp: z_j = s_j y_j + t_j with s_j = softplus(u_j) + ε, and log s_j in the log-determinant.
                for (int j = 0; j < d; j++)
                {
                    float u = pp[2 * j], sc = VectorMath.Softplus(u) + MafLayout.MinScale;
                    gpp[2 * j] = (gz[j] * y[j] + 1f / sc) * VectorMath.Sigmoid(u);
                    gpp[2 * j + 1] = gz[j];
                    gy[j] = gz[j] * sc;                                        // the direct path y_j → z_j
                }
                // Final layer pp = W_f a + b_f: ∂/∂a = W_fᵀ ∂/∂pp.
                TransposedTimes(layer.Wf, gpp, ga, p, h);
                for (int k = blocks - 1; k >= 0; k--)
                {
                    // a_{k+1} = tanh(W_k a_k + b_k): ∂/∂a_k = W_kᵀ (∂/∂a_{k+1} ⊙ (1 − a_{k+1}²)).
                    var aOut = acts.AsSpan((t * (blocks + 1) + k + 1) * h, h);
                    for (int i = 0; i < h; i++) ga[i] *= 1f - aOut[i] * aOut[i];
                    TransposedTimes((float*)layer.Wb[k], ga, gb, h, h);
                    gb.AsSpan().CopyTo(ga);
                }
                var a0 = acts.AsSpan((t * (blocks + 1)) * h, h);
                for (int i = 0; i < h; i++) ga[i] *= 1f - a0[i] * a0[i];
                // a_0 = tanh(W_0 y + b_0 + context term): the masked W_0 carries the autoregressive path y → pp.
                TransposedTimes(layer.W0, ga, gz, h, d);
                for (int j = 0; j < d; j++) gy[j] += gz[j];
            }
            var g = gradient.Slice(row * d, d);
            for (int j = 0; j < d; j++) g[j] = gy[j] * scale[j];
        }
        GC.KeepAlive(_weights);
    }

    /// <summary>out = act(W v + b) for W (rows × cols, row-major), v (cols); tanh or none.</summary>
    private static void Dense(float* w, float* b, ReadOnlySpan<float> v, Span<float> output, int rows, int cols, bool tanh)
    {
        for (int i = 0; i < rows; i++)
        {
            float acc = b[i];
            float* wi = w + (long)i * cols;
            for (int j = 0; j < cols; j++) acc += wi[j] * v[j];
            output[i] = tanh ? MathF.Tanh(acc) : acc;
        }
    }

    /// <summary>out = Wᵀ g for W (rows × cols, row-major), g (rows): out (cols).</summary>
    private static void TransposedTimes(float* w, ReadOnlySpan<float> g, Span<float> output, int rows, int cols)
    {
        output[..cols].Clear();
        for (int i = 0; i < rows; i++)
        {
            float gi = g[i];
            if (gi == 0f) continue;
            float* wi = w + (long)i * cols;
            for (int j = 0; j < cols; j++) output[j] += gi * wi[j];
        }
    }

    /// <summary>log q(θ_i | x_o) for <paramref name="n"/> rows θ (n × D, row-major float32) into <paramref name="result"/> (n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LogProb(ReadOnlySpan<float> theta, int n, Span<float> result)
    {
        int d = _layout.D, h = _layout.H, p = 2 * d;
        if (theta.Length < n * d) throw new ArgumentException($"theta must hold n × D = {n * d} values; got {theta.Length}.", nameof(theta));
        if (result.Length < n) throw new ArgumentException($"result must hold {n} values; got {result.Length}.", nameof(result));
        long need = 2 * Lines((long)n * d) + 2 * Lines((long)n * h) + Lines((long)n * p) + Lines(n);
        if (_work is not { } work || work.Length < need) _work = work = new Aligned(Math.Max(need, 2 * (_work?.Length ?? 0)));
        Span<float> z = stackalloc float[d];
        using var threads = TorchNative.SingleThreadedMkl();
        fixed (float* th = theta, res = result)
        {
            float* y = work.Pointer, next = y + Lines((long)n * d), a = next + Lines((long)n * d), b = a + Lines((long)n * h),
                   pp = b + Lines((long)n * h), logDet = pp + Lines((long)n * p);
            var scale = _layout.Scale;
            var shift = _layout.Shift;
            for (int i = 0; i < n; i++)
            {
                logDet[i] = 0f;
                for (int j = 0; j < d; j++) y[i * d + j] = th[i * d + j] * scale[j] + shift[j];
            }
            foreach (var layer in _layers)
            {
                VectorMath.FillRows(a, layer.Bias0, null, n, h);
                TorchNative.Gemm(false, true, n, h, d, 1f, y, d, layer.W0, d, 1f, a, h);
                VectorMath.Tanh(a, a, n * h);
                for (int k = 0; k < layer.Wb.Length; k++)
                {
                    VectorMath.FillRows(b, (float*)layer.Bb[k], null, n, h);
                    TorchNative.Gemm(false, true, n, h, h, 1f, a, h, (float*)layer.Wb[k], h, 1f, b, h);
                    VectorMath.Tanh(b, b, n * h);
                    float* swap = a; a = b; b = swap;
                }
                VectorMath.FillRows(pp, layer.Bf, null, n, p);
                TorchNative.Gemm(false, true, n, p, h, 1f, a, h, layer.Wf, h, 1f, pp, p);
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
        GC.KeepAlive(_weights);
        GC.KeepAlive(work);
    }
}
