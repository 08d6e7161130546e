using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// MAF sampling (noise → θ) on the CPU as MKL GEMMs and AVX2 loops: the same degree-pruned inverse as
/// <see cref="MadeInverse"/> (pass i of a MADE only evaluates the hidden units of degree ≤ i, a prefix once the units
/// are sorted by degree), without a libtorch call per pass. The context term tanh(W_c c + b_c) is computed once
/// per condition rather than per sample. Weights are copied masked and reordered at creation, so a sampler reflects
/// the weights of that moment; create one per sampling call.
/// </summary>
internal sealed unsafe class MafSampler : IDisposable
{
    private const int ChunkRows = 2048;

    private sealed class Layer
    {
        public required float* W0, B0, Wc, Bc, Wf, Bf;
        public required IntPtr[] Wb, Bb;
        public required int[] Prefix, Perm;
    }

    private readonly MafLayout _layout;
    private readonly Layer[] _layers;
    private readonly List<IntPtr> _owned = new();

    private MafSampler(MafLayout layout)
    {
        _layout = layout;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _layers = layout.Layers.Select(l => Prepare(l.Made, l.Perm)).ToArray();
    }

    /// <summary>The MAF family's <see cref="IFlowInverseKernel"/>: a sampler bound to the flow's weights of the moment, per call.</summary>
    public static IFlowInverseKernel Kernel { get; } = new FlowKernel();

    private sealed class FlowKernel : IFlowInverseKernel
    {
        public Tensor? TryInverse(Flow flow, Tensor noise, Tensor context)
        {
            using var sampler = TryCreate(flow, out _);
            return sampler?.Inverse(noise, context);
        }
    }

    /// <summary>A sampler for the flow's current weights, or null (with the reason) when the flow is not such a MAF.</summary>
    /// <exception cref="InvalidOperationException">a weight of the flow is not finite: the kernel's clamps and prefix loops
    /// would turn it into finite, wrong samples, where the module path gives NaN.</exception>
    public static MafSampler? TryCreate(Flow flow, out string reason)
    {
        var layout = MafLayout.TryRead(flow, out reason);
        if (layout is null) return null;
        FiniteWeights.RequireLive(flow, "MAF sampling (fused sampler)");
        return new MafSampler(layout);
    }

    private float* Copy(Tensor t)
    {
        using var c = t.to(ScalarType.Float32).contiguous();
        long n = c.numel();
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, n) * sizeof(float)), 64);
        _owned.Add((IntPtr)p);
        Buffer.MemoryCopy(TorchNative.Data(c), p, n * 4, n * 4);
        return p;
    }

    private Layer Prepare(Made made, int[] perm)
    {
        var masked = made.MaskedLayers.ToList();
        var degrees = masked[0].Degrees;
        var order = degrees.sort(0, false, true).Indices;
        var sorted = degrees.index_select(0, order).data<long>().ToArray();
        var prefix = Enumerable.Range(0, _layout.D).Select(i => sorted.Count(v => v <= i)).ToArray();
        Tensor M(MaskedLinear l) => l.Weight * l.Mask;
        return new Layer
        {
            W0 = Copy(M(masked[0]).index_select(0, order)),
            B0 = Copy(masked[0].Bias.index_select(0, order)),
            Wc = Copy(made.ContextLayer!.weight!.index_select(0, order)),
            Bc = Copy(made.ContextLayer.bias!.index_select(0, order)),
            Wb = masked.Skip(1).Take(_layout.Blocks).Select(l => (IntPtr)Copy(M(l).index_select(0, order).index_select(1, order))).ToArray(),
            Bb = masked.Skip(1).Take(_layout.Blocks).Select(l => (IntPtr)Copy(l.Bias.index_select(0, order))).ToArray(),
            Wf = Copy(M(masked[^1]).index_select(1, order)),
            Bf = Copy(masked[^1].Bias),
            Prefix = prefix,
            Perm = perm,
        };
    }

    /// <summary>
    /// Maps noise (N, D) to θ (N, D) given the embedded contexts (B, C), row r using context r / (N / B) — the order
    /// of <c>repeat_interleave</c> in nflows' sampling.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor Inverse(Tensor noise, Tensor context)
    {
        using var threads = TorchNative.SingleThreadedMkl();
        int d = _layout.D, h = _layout.H, c = _layout.C;
        int n = (int)noise.shape[0], conditions = (int)context.shape[0];
        if (noise.dim() != 2 || noise.shape[1] != d) throw new ArgumentException($"noise must have shape (N, {d}); got ({string.Join(", ", noise.shape)}).", nameof(noise));
        if (context.dim() != 2 || context.shape[1] != c || conditions < 1 || n % conditions != 0)
            throw new ArgumentException($"context must have shape (B, {c}) with B dividing {n}; got ({string.Join(", ", context.shape)}).", nameof(context));
        int perCondition = n / conditions;
        int chunk = Math.Min(n, ChunkRows);
        var result = new float[(long)n * d];
        using var noiseC = noise.to(ScalarType.Float32).contiguous();
        using var ctxC = context.to(ScalarType.Float32).contiguous();
        float* src = TorchNative.Data(noiseC), ctx = TorchNative.Data(ctxC);
        long bytes = ((long)_layers.Length * conditions * h + 3L * chunk * d + 2L * chunk * h + 2L * chunk + 8) * sizeof(float);
        var block = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            // Per layer and condition: tanh(W_c c + b_c) + b_0, the hidden units' input before the θ part.
            var ccb = new float*[_layers.Length];
            float* cur = block;
            for (int t = 0; t < _layers.Length; t++)
            {
                var l = _layers[t];
                ccb[t] = cur; cur += (long)conditions * h;
                VectorMath.FillRows(ccb[t], l.Bc, null, conditions, h);
                TorchNative.Gemm(false, true, conditions, h, c, 1f, ctx, c, l.Wc, c, 1f, ccb[t], h);
                VectorMath.Tanh(ccb[t], ccb[t], conditions * h);
                for (int b = 0; b < conditions; b++) VectorMath.Add(ccb[t] + (long)b * h, l.B0, ccb[t] + (long)b * h, h);
            }
            float* y = cur; cur += (long)chunk * d;
            float* z = cur; cur += (long)chunk * d;
            float* x = cur; cur += (long)chunk * d;
            float* ha = cur; cur += (long)chunk * h;
            float* hb = cur; cur += (long)chunk * h;
            float* o = cur;
            fixed (float* dst = result)
            {
                for (int r0 = 0; r0 < n; r0 += chunk)
                {
                    int rows = Math.Min(chunk, n - r0);
                    Buffer.MemoryCopy(src + (long)r0 * d, y, (long)rows * d * 4, (long)rows * d * 4);
                    for (int t = _layers.Length - 1; t >= 0; t--)
                    {
                        InvertLayer(_layers[t], ccb[t], r0, rows, perCondition, y, z, x, ha, hb, o);
                        float* swap = y; y = x; x = swap;
                    }
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < d; j++)
                            dst[(long)(r0 + r) * d + j] = (y[r * d + j] - _layout.Shift[j]) / _layout.Scale[j];
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
        return tensor(result).view(n, d);
    }

    /// <summary>One MADE affine layer inverted (its permutation undone first): x_i = (z_i − t_i(x_&lt;i)) / s_i(x_&lt;i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InvertLayer(Layer l, float* ccb, int r0, int rows, int perCondition, float* y, float* z, float* x,
                             float* ha, float* hb, float* o)
    {
        int d = _layout.D, h = _layout.H;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) z[r * d + l.Perm[j]] = y[r * d + j];
        for (int i = 0; i < d; i++)
        {
            int k = l.Prefix[i];
            if (k == 0)
            {
                float s0 = VectorMath.Softplus(l.Bf[2 * i]) + MafLayout.MinScale, t0 = l.Bf[2 * i + 1];
                for (int r = 0; r < rows; r++) x[r * d + i] = (z[r * d + i] - t0) / s0;
                continue;
            }
            for (int r = 0; r < rows; r++)
                Buffer.MemoryCopy(ccb + (long)((r0 + r) / perCondition) * h, ha + (long)r * k, k * 4, k * 4);
            if (i > 0) TorchNative.Gemm(false, true, rows, k, i, 1f, x, d, l.W0, d, 1f, ha, k);
            VectorMath.Tanh(ha, ha, rows * k);
            float* cur = ha, other = hb;
            for (int b = 0; b < l.Wb.Length; b++)
            {
                VectorMath.FillRows(other, (float*)l.Bb[b], null, rows, k);
                TorchNative.Gemm(false, true, rows, k, k, 1f, cur, k, (float*)l.Wb[b], h, 1f, other, k);
                VectorMath.Tanh(other, other, rows * k);
                float* swap = cur; cur = other; other = swap;
            }
            VectorMath.FillRows(o, l.Bf + 2 * i, null, rows, 2);
            TorchNative.Gemm(false, true, rows, 2, k, 1f, cur, k, l.Wf + (long)2 * i * h, h, 1f, o, 2);
            for (int r = 0; r < rows; r++)
                x[r * d + i] = (z[r * d + i] - o[2 * r + 1]) / (VectorMath.Softplus(o[2 * r]) + MafLayout.MinScale);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var p in _owned) NativeMemory.AlignedFree((void*)p);
        _owned.Clear();
    }
}
