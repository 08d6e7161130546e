using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// A hand-fused CPU forward and backward pass of sbi's MAF (θ z-scoring, T × [MADE affine layer with tanh, random
/// permutation], standard-normal base) for training. Small flows are dominated by per-op dispatch: one MAF step
/// through autograd is ~250 libtorch calls on 200×50 tensors. Here the same arithmetic runs as MKL GEMMs (the
/// <c>sgemm_</c> libtorch links in) and AVX2 loops over buffers allocated once, reading the weights in place and
/// writing the gradients straight into the optimiser's flat gradient buffer.
/// <para>
/// Same maths as the modules (nflows' MADE and <c>MaskedAffineAutoregressiveTransform</c>), different float
/// rounding: GEMM summation order and a rational tanh differ from libtorch at the 1e-7 level; tests hold it to the
/// autograd path's log-probs and gradients. Masked weights must be zero (pre-masked) and their gradients are
/// masked by the optimiser, exactly as in the autograd training path.
/// </para>
/// </summary>
internal sealed unsafe class MafKernel : ITrainingKernel
{
    private sealed class Layer
    {
        public required BoundAffine Initial, Context, Final;
        public required BoundAffine[] Hidden;
        public required int[] Perm;
    }

    private readonly int _d, _h, _c, _t, _l;
    private readonly Layer[] _layers;
    private readonly float[] _scale, _shift;
    private readonly float _logConst;

    private int _capacity, _rows;
    private float* _block;
    private float*[] _y = null!, _cc = null!, _p = null!, _s = null!;
    private float*[][] _a = null!;
    private float* _ctx, _logDet, _gY, _gZ, _gP, _gA, _gA2, _ones;

    private MafKernel(int d, int h, int c, Layer[] layers, int hiddenBlocks, float[] scale, float[] shift, float logConst)
    {
        _d = d; _h = h; _c = c; _layers = layers; _t = layers.Length; _l = hiddenBlocks;
        _scale = scale; _shift = shift; _logConst = logConst;
    }

    /// <summary>θ dimension.</summary>
    public int Features => _d;

    /// <summary>
    /// Binds a kernel to a MAF whose trainable parameters have gradient buffers (a <c>FlatAdam</c> has been built), or
    /// returns null with the reason the estimator does not qualify (another estimator, a device other than the CPU,
    /// dropout, a trainable embedding, a non-tanh activation, no MKL in libtorch, no AVX2).
    /// </summary>
    public static MafKernel? TryCreate(ConditionalDensityEstimator estimator, out string reason)
    {
        if (estimator is not FlowEstimator fe) { reason = "the estimator is not a flow"; return null; }
        if (fe.Net.EmbeddingNet.parameters().Any(p => p.requires_grad)) { reason = "the embedding net has trainable parameters"; return null; }
        var layout = MafLayout.TryRead(fe.Net, out reason);
        if (layout is null) return null;
        using var scope = NewDisposeScope();
        var layers = new List<Layer>();
        long covered = 0;
        foreach (var (made, perm) in layout.Layers)
        {
            var masked = made.MaskedLayers.ToList();
            layers.Add(new Layer
            {
                Initial = BoundAffine.Bind(masked[0].Weight, masked[0].Bias, ref covered),
                Context = BoundAffine.Bind(made.ContextLayer!.weight!, made.ContextLayer.bias!, ref covered),
                Hidden = masked.Skip(1).Take(layout.Blocks).Select(l => BoundAffine.Bind(l.Weight, l.Bias, ref covered)).ToArray(),
                Final = BoundAffine.Bind(masked[^1].Weight, masked[^1].Bias, ref covered),
                Perm = perm,
            });
        }
        reason = KernelInputs.CoverageReason(estimator, covered);
        if (reason.Length > 0) return null;
        double logConst = -0.5 * layout.D * Math.Log(2 * Math.PI) + layout.LogScaleSum;
        return new MafKernel(layout.D, layout.H, layout.C, layers.ToArray(), layout.Blocks, layout.Scale, layout.Shift, (float)logConst);
    }

    private void Ensure(int rows)
    {
        if (rows <= _capacity) return;
        if (_block is not null) NativeMemory.AlignedFree(_block);
        int d = _d, h = _h, p = 2 * _d;
        long per = (long)(_t + 1) * d + _t * ((_l + 2L) * h + p + d) + _c + 1 + 3L * d + p + 2L * h + 1;
        _block = (float*)NativeMemory.AlignedAlloc((nuint)(per * rows * sizeof(float)), 64);
        _capacity = rows;
        float* cur = _block;
        float* Take(int cols) { var r = cur; cur += (long)cols * rows; return r; }
        _y = new float*[_t + 1];
        for (int t = 0; t <= _t; t++) _y[t] = Take(d);
        _cc = new float*[_t]; _p = new float*[_t]; _s = new float*[_t]; _a = new float*[_t][];
        for (int t = 0; t < _t; t++)
        {
            _cc[t] = Take(h);
            _a[t] = new float*[_l + 1];
            for (int k = 0; k <= _l; k++) _a[t][k] = Take(h);
            _p[t] = Take(p);
            _s[t] = Take(d);
        }
        _ctx = Take(_c); _logDet = Take(1); _gY = Take(d); _gZ = Take(d); _gP = Take(p); _gA = Take(h); _gA2 = Take(h); _ones = Take(1);
        new Span<float>(_ones, rows).Fill(1f);
    }

    /// <summary>
    /// log q(θ_i | context_i) for a batch (θ (B, D) and the embedded context (B, C), float32 CPU), keeping what the
    /// following <see cref="Backward"/> needs. Returns a new (B) tensor without gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor LogProb(Tensor theta, Tensor context)
    {
        using var threads = TorchNative.SingleThreadedMkl();
        int n = KernelInputs.CheckShapes(theta, context, _d, _c), d = _d, h = _h, p = 2 * _d;
        Ensure(n);
        _rows = n;
        KernelInputs.CopyStandardized(theta, _scale, _shift, _y[0], d);
        KernelInputs.CopyContext(context, _ctx);
        new Span<float>(_logDet, n).Clear();
        Span<float> z = stackalloc float[d];
        for (int t = 0; t < _t; t++)
        {
            var layer = _layers[t];
            float* cc = _cc[t], y = _y[t];
            VectorMath.FillRows(cc, layer.Context.B, null, n, h);
            TorchNative.Gemm(false, true, n, h, _c, 1f, _ctx, _c, layer.Context.W, _c, 1f, cc, h);
            VectorMath.Tanh(cc, cc, n * h);
            float* a = _a[t][0];
            VectorMath.FillRows(a, layer.Initial.B, cc, n, h);
            TorchNative.Gemm(false, true, n, h, d, 1f, y, d, layer.Initial.W, d, 1f, a, h);
            VectorMath.Tanh(a, a, n * h);
            for (int k = 1; k <= _l; k++)
            {
                float* ak = _a[t][k];
                VectorMath.FillRows(ak, layer.Hidden[k - 1].B, null, n, h);
                TorchNative.Gemm(false, true, n, h, h, 1f, _a[t][k - 1], h, layer.Hidden[k - 1].W, h, 1f, ak, h);
                VectorMath.Tanh(ak, ak, n * h);
            }
            float* pp = _p[t];
            VectorMath.FillRows(pp, layer.Final.B, null, n, p);
            TorchNative.Gemm(false, true, n, p, h, 1f, _a[t][_l], h, layer.Final.W, h, 1f, pp, p);
            float* s = _s[t], next = _y[t + 1];
            var perm = layer.Perm;
            for (int i = 0; i < n; i++)
            {
                float ld = 0f;
                for (int j = 0; j < d; j++)
                {
                    float sc = VectorMath.Softplus(pp[i * p + 2 * j]) + MafLayout.MinScale;
                    s[i * d + j] = sc;
                    z[j] = sc * y[i * d + j] + pp[i * p + 2 * j + 1];
                    ld += MathF.Log(sc);
                }
                _logDet[i] += ld;
                for (int j = 0; j < d; j++) next[i * d + j] = z[perm[j]];
            }
        }
        var result = new float[n];
        float* last = _y[_t];
        for (int i = 0; i < n; i++)
        {
            float sq = 0f;
            for (int j = 0; j < d; j++) sq += last[i * d + j] * last[i * d + j];
            result[i] = -0.5f * sq + _logConst + _logDet[i];
        }
        return tensor(result);
    }

    /// <summary>
    /// Writes ∂L/∂w for every parameter into its gradient buffer (overwriting it), for the batch of the last
    /// <see cref="LogProb"/> and L = Σ_i c_i log q_i with the given coefficients c (B).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(Tensor coefficients)
    {
        using var threads = TorchNative.SingleThreadedMkl();
        int n = _rows, d = _d, h = _h, p = 2 * _d;
        if (coefficients.numel() != n) throw new ArgumentException($"coefficients must have {n} entries; got {coefficients.numel()}.", nameof(coefficients));
        using var cf = coefficients.to(ScalarType.Float32).contiguous();
        float* c = TorchNative.Data(cf);
        float* last = _y[_t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) _gY[i * d + j] = -c[i] * last[i * d + j];
        for (int t = _t - 1; t >= 0; t--)
        {
            var layer = _layers[t];
            var perm = layer.Perm;
            float* y = _y[t], s = _s[t], pp = _p[t];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < d; j++) _gZ[i * d + perm[j]] = _gY[i * d + j];
                for (int j = 0; j < d; j++)
                {
                    int q = i * d + j;
                    float gz = _gZ[q], sc = s[q];
                    float gs = gz * y[q] + c[i] / sc;
                    _gP[i * p + 2 * j] = gs * VectorMath.Sigmoid(pp[i * p + 2 * j]);
                    _gP[i * p + 2 * j + 1] = gz;
                    _gY[q] = gz * sc;
                }
            }
            float* top = _a[t][_l];
            TorchNative.Gemm(true, false, p, h, n, 1f, _gP, p, top, h, 0f, layer.Final.GW, h);
            TorchNative.Gemm(false, false, 1, p, n, 1f, _ones, n, _gP, p, 0f, layer.Final.GB, p);
            TorchNative.Gemm(false, false, n, h, p, 1f, _gP, p, layer.Final.W, h, 0f, _gA, h);
            for (int k = _l; k >= 1; k--)
            {
                var hidden = layer.Hidden[k - 1];
                VectorMath.TanhBackward(_gA, _a[t][k], n * h);
                TorchNative.Gemm(true, false, h, h, n, 1f, _gA, h, _a[t][k - 1], h, 0f, hidden.GW, h);
                TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gA, h, 0f, hidden.GB, h);
                TorchNative.Gemm(false, false, n, h, h, 1f, _gA, h, hidden.W, h, 0f, _gA2, h);
                float* swap = _gA; _gA = _gA2; _gA2 = swap;
            }
            VectorMath.TanhBackward(_gA, _a[t][0], n * h);
            TorchNative.Gemm(true, false, h, d, n, 1f, _gA, h, y, d, 0f, layer.Initial.GW, d);
            TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gA, h, 0f, layer.Initial.GB, h);
            if (t > 0) TorchNative.Gemm(false, false, n, d, h, 1f, _gA, h, layer.Initial.W, d, 1f, _gY, d);
            // The context enters as tanh(W_c c + b_c) added to the initial layer's pre-activation.
            VectorMath.TanhBackward(_gA, _cc[t], n * h);
            TorchNative.Gemm(true, false, h, _c, n, 1f, _gA, h, _ctx, _c, 0f, layer.Context.GW, _c);
            TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gA, h, 0f, layer.Context.GB, h);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_block is not null) NativeMemory.AlignedFree(_block);
        _block = null;
        _capacity = 0;
    }
}
