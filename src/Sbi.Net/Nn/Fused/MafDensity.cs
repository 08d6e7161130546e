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
