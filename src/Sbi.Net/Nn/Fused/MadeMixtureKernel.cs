using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sbi.Estimators;
using Sbi.Transforms;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// A hand-fused CPU forward and backward pass of sbi's <c>made</c> estimator for training: θ z-scoring, then the
/// mixture-of-Gaussians MADE over [dummy 0, θ] (ReLU residual masked blocks, each with its own context layer) and the
/// per-feature mixture log-density. GEMMs through MKL, the mixture terms per element in double precision, gradients
/// straight into the optimiser's flat buffer. Masked weights must be zero (pre-masked) and their gradients are
/// masked by the optimiser, as in the autograd path.
/// </summary>
internal sealed unsafe class MadeMixtureKernel : ITrainingKernel
{
    private readonly int _d, _f, _h, _c, _k, _nb, _out;
    private readonly BoundAffine _initial, _context, _final;
    private readonly (BoundAffine Context, BoundAffine First, BoundAffine Second)[] _blocks;
    private readonly float[] _scale, _shift;
    private readonly double _logScaleSum, _eps;

    private int _capacity, _rows;
    private float* _block;
    private float* _u, _ctx, _p, _gP, _gH, _gT, _gA;
    // Per row, real feature and component, kept by the forward pass for the backward: responsibility ρ, mixture
    // weight π, σ and softplus'(u) = sigmoid(u); the backward then needs no transcendental function.
    private float* _rho, _pi, _sigma, _dsigma;
    private float* _lg, _mu, _t1, _t2, _gmax, _gsum, _glog; // scratch of the batched mixture
    private float*[] _hs = null!, _a = null!, _r = null!;

    private MadeMixtureKernel(MadeMixtureDistribution dist, int c, float[] scale, float[] shift, ref long covered)
    {
        var made = dist.Made;
        _d = dist.Features; _f = made.Features; _h = made.HiddenFeatures; _c = c; _k = made.NumComponents;
        _eps = made.Epsilon;
        var blocks = made.Blocks;
        _nb = blocks.Count;
        var (initial, final) = made.OuterLayers;
        _initial = BoundAffine.Bind(initial.Weight, initial.Bias, ref covered);
        _context = BoundAffine.Bind(made.ContextLayer!.weight!, made.ContextLayer.bias!, ref covered);
        _blocks = new (BoundAffine, BoundAffine, BoundAffine)[_nb];
        for (int i = 0; i < _nb; i++)
        {
            var b = blocks[i];
            _blocks[i] = (BoundAffine.Bind(b.ContextLayer!.weight!, b.ContextLayer.bias!, ref covered),
                          BoundAffine.Bind(b.LinearLayers[0].Weight, b.LinearLayers[0].Bias, ref covered),
                          BoundAffine.Bind(b.LinearLayers[1].Weight, b.LinearLayers[1].Bias, ref covered));
        }
        _final = BoundAffine.Bind(final.Weight, final.Bias, ref covered);
        _out = _f * _k * 3;
        _scale = scale; _shift = shift;
        _logScaleSum = scale.Sum(v => Math.Log(Math.Abs(v)));
    }

    /// <summary>Binds a kernel to a <c>made</c> estimator whose trainable parameters have gradient buffers, or returns null with the reason.</summary>
    public static MadeMixtureKernel? TryCreate(ConditionalDensityEstimator estimator, out string reason)
    {
        reason = "";
        if (FusedAvailability.Reason is { } unavailable) { reason = unavailable; return null; }
        if (estimator is not FlowEstimator fe) { reason = "the estimator is not a flow"; return null; }
        if (fe.Net.Distribution is not MadeMixtureDistribution dist) { reason = "the base distribution is not a MADE mixture of Gaussians"; return null; }
        if (fe.Net.EmbeddingNet.parameters().Any(p => p.requires_grad)) { reason = "the embedding net has trainable parameters"; return null; }
        if (fe.Net.Transform is not CompositeTransform composite || composite.Transforms.Count > 1
            || composite.Transforms.Count == 1 && composite.Transforms[0] is not PointwiseAffineTransform)
        { reason = "the transform is not sbi's optional z-scoring"; return null; }
        var made = dist.Made;
        if (made.ContextLayer is null || made.Blocks.Any(b => b.ContextLayer is null)) { reason = "the MADE has no context"; return null; }
        if (made.Blocks.Any(b => b.DropoutProbability > 0)) { reason = "the MADE uses dropout"; return null; }
        reason = KernelInputs.CpuFloat32Reason(estimator);
        if (reason.Length > 0) return null;
        using var scope = NewDisposeScope();
        int d = dist.Features;
        var (scale, shift, _) = KernelInputs.ThetaZScore(composite.Transforms.Count == 1 ? (PointwiseAffineTransform)composite.Transforms[0] : null, d);
        long covered = 0;
        var kernel = new MadeMixtureKernel(dist, (int)made.ContextLayer.weight!.shape[1], scale, shift, ref covered);
        reason = KernelInputs.CoverageReason(estimator, covered);
        if (reason.Length == 0) return kernel;
        kernel.Dispose();
        return null;
    }

    private void Ensure(int rows)
    {
        if (rows <= _capacity) return;
        if (_block is not null) NativeMemory.AlignedFree(_block);
        int h = _h;
        long per = _f + _c + 2L * _out + (_nb + 1L) * h + 2L * _nb * h + 3L * h + 1 + 8L * _d * _k + 3L * _d;
        _block = (float*)NativeMemory.AlignedAlloc((nuint)(per * rows * sizeof(float)), 64);
        _capacity = rows;
        float* cur = _block;
        float* Take(int cols) { var r = cur; cur += (long)cols * rows; return r; }
        _u = Take(_f); _ctx = Take(_c); _p = Take(_out); _gP = Take(_out);
        _hs = new float*[_nb + 1]; _a = new float*[_nb]; _r = new float*[_nb];
        for (int b = 0; b <= _nb; b++) _hs[b] = Take(h);
        for (int b = 0; b < _nb; b++) { _a[b] = Take(h); _r[b] = Take(h); }
        _gH = Take(h); _gT = Take(h); _gA = Take(h);
        _rho = Take(_d * _k); _pi = Take(_d * _k); _sigma = Take(_d * _k); _dsigma = Take(_d * _k);
        _lg = Take(_d * _k); _mu = Take(_d * _k); _t1 = Take(_d * _k); _t2 = Take(_d * _k);
        _gmax = Take(_d); _gsum = Take(_d); _glog = Take(_d);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor LogProb(Tensor theta, Tensor context)
    {
        int n = KernelInputs.CheckShapes(theta, context, _d, _c), d = _d, f = _f, h = _h, c = _c;
        using var threads = TorchNative.SingleThreadedMkl();
        Ensure(n);
        _rows = n;
        KernelInputs.CopyContext(context, _ctx);
        for (int i = 0; i < n; i++) _u[i * f] = 0f; // the dummy coordinate
        KernelInputs.CopyStandardized(theta, _scale, _shift, _u, f, offset: 1);
        // h0 = (W0 ⊙ M0) u + b0 + W_c c + b_c (no activation on the context term)
        float* hcur = _hs[0];
        VectorMath.FillRows(hcur, _initial.B, null, n, h);
        TorchNative.Gemm(false, true, n, h, f, 1f, _u, f, _initial.W, f, 1f, hcur, h);
        TorchNative.Gemm(false, true, n, h, c, 1f, _ctx, c, _context.W, c, 1f, hcur, h);
        for (int i = 0; i < n; i++) VectorMath.Add(hcur + (long)i * h, _context.B, hcur + (long)i * h, h);
        for (int b = 0; b < _nb; b++)
        {
            var (ctxL, first, second) = _blocks[b];
            float* a = _a[b], r = _r[b], next = _hs[b + 1];
            VectorMath.Relu(hcur, a, n * h);
            VectorMath.FillRows(r, first.B, null, n, h);
            TorchNative.Gemm(false, true, n, h, h, 1f, a, h, first.W, h, 1f, r, h);
            TorchNative.Gemm(false, true, n, h, c, 1f, _ctx, c, ctxL.W, c, 1f, r, h);
            for (int i = 0; i < n; i++) VectorMath.Add(r + (long)i * h, ctxL.B, r + (long)i * h, h);
            VectorMath.Relu(r, r, n * h);
            VectorMath.FillRows(next, second.B, hcur, n, h);   // h + b1, then + W1 r
            TorchNative.Gemm(false, true, n, h, h, 1f, r, h, second.W, h, 1f, next, h);
            hcur = next;
        }
        VectorMath.FillRows(_p, _final.B, null, n, _out);
        TorchNative.Gemm(false, true, n, _out, h, 1f, hcur, h, _final.W, h, 1f, _p, _out);

        var result = new float[n];
        fixed (float* r = result) MixtureBatch(n, r);
        return tensor(result);
    }

    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <summary>
    /// Σ_features logsumexp_k [log_softmax(l)_k − ½(log 2π + 2 log σ_k + ((z − μ_k)/σ_k)²)] per row (plus the z-scoring's
    /// log-det), σ = softplus(u) + ε, in float32 with vectorised exp/log over the whole batch (as PyTorch evaluates it).
    /// Keeps ρ (the softmax of the terms), π, σ and sigmoid(u) for the backward.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MixtureBatch(int n, float* result)
    {
        int d = _d, kk = _k, f = _f, m = n * d * kk, groups = n * d;
        for (int i = 0; i < n; i++)
            for (int j = 1; j < f; j++)
            {
                float* q = _p + (long)i * _out + (long)j * kk * 3;
                long o = ((long)i * d + j - 1) * kk;
                for (int k = 0; k < kk; k++)
                {
                    _lg[o + k] = q[3 * k];
                    _mu[o + k] = q[3 * k + 1];
                    _sigma[o + k] = q[3 * k + 2];                 // u for now
                    _t1[o + k] = -MathF.Abs(q[3 * k + 2]);
                }
            }
        // softplus(u) = max(u, 0) + log(1 + e^−|u|) (PyTorch: log1p(eᵘ) below 20, u above; equal to rounding); its derivative sigmoid(u)
        VectorMath.Exp(_t1, _t1, m);
        for (int o = 0; o < m; o++)
        {
            float ex = _t1[o], u = _sigma[o];
            _dsigma[o] = u >= 0 ? 1f / (1f + ex) : ex / (1f + ex);
            _t2[o] = 1f + ex;
        }
        VectorMath.Log(_t2, _t2, m);
        for (int o = 0; o < m; o++) _sigma[o] = MathF.Max(_sigma[o], 0f) + _t2[o] + (float)_eps;
        VectorMath.Log(_sigma, _t2, m);                            // log σ
        // log_softmax of the logits
        for (int g = 0; g < groups; g++)
        {
            float mx = float.NegativeInfinity;
            for (int k = 0; k < kk; k++) mx = MathF.Max(mx, _lg[g * kk + k]);
            _gmax[g] = mx;
            for (int k = 0; k < kk; k++) _t1[g * kk + k] = _lg[g * kk + k] - mx;
        }
        VectorMath.Exp(_t1, _pi, m);
        for (int g = 0; g < groups; g++)
        {
            float sum = 0f;
            for (int k = 0; k < kk; k++) sum += _pi[g * kk + k];
            _gsum[g] = sum;
        }
        VectorMath.Log(_gsum, _glog, groups);
        float halfLog2Pi = (float)(0.5 * Log2Pi);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                int g = i * d + j;
                float z = _u[i * f + j + 1], norm = _gmax[g] + _glog[g], inv = 1f / _gsum[g], tmax = float.NegativeInfinity;
                for (int k = 0; k < kk; k++)
                {
                    int o = g * kk + k;
                    _pi[o] *= inv;
                    float e = (z - _mu[o]) / _sigma[o];
                    float term = _lg[o] - norm - (halfLog2Pi + _t2[o] + 0.5f * e * e);
                    _t1[o] = term;
                    tmax = MathF.Max(tmax, term);
                }
                _gmax[g] = tmax;
                for (int k = 0; k < kk; k++) _t1[g * kk + k] -= tmax;
            }
        // logsumexp of the terms, and the responsibilities
        VectorMath.Exp(_t1, _rho, m);
        for (int g = 0; g < groups; g++)
        {
            float sum = 0f;
            for (int k = 0; k < kk; k++) sum += _rho[g * kk + k];
            _gsum[g] = sum;
            float inv = 1f / sum;
            for (int k = 0; k < kk; k++) _rho[g * kk + k] *= inv;
        }
        VectorMath.Log(_gsum, _glog, groups);
        for (int i = 0; i < n; i++)
        {
            double lp = _logScaleSum;
            for (int j = 0; j < d; j++) lp += _gmax[i * d + j] + _glog[i * d + j];
            result[i] = (float)lp;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(Tensor coefficients)
    {
        int n = _rows, f = _f, h = _h, c = _c;
        if (coefficients.numel() != n) throw new ArgumentException($"coefficients must have {n} entries; got {coefficients.numel()}.", nameof(coefficients));
        using var threads = TorchNative.SingleThreadedMkl();
        using var cf = coefficients.to(ScalarType.Float32).contiguous();
        float* coef = TorchNative.Data(cf);
        // Mixture terms: with responsibilities ρ = softmax(terms) and π = softmax(logits),
        // ∂/∂l_k = ρ_k − π_k, ∂/∂μ_k = ρ_k (z − μ_k)/σ_k², ∂/∂σ_k = ρ_k ((z − μ_k)²/σ_k³ − 1/σ_k), σ = softplus(u) + ε.
        for (int i = 0; i < n; i++)
        {
            new Span<float>(_gP + (long)i * _out, _k * 3).Clear(); // the dummy feature's outputs get no gradient
            for (int j = 1; j < f; j++)
            {
                float* q = _p + (long)i * _out + (long)j * _k * 3;
                float* g = _gP + (long)i * _out + (long)j * _k * 3;
                long o = ((long)i * _d + j - 1) * _k;
                double z = _u[i * f + j], ci = coef[i];
                for (int k = 0; k < _k; k++)
                {
                    double rho = _rho[o + k], sigma = _sigma[o + k], diff = z - q[3 * k + 1], inv = 1 / sigma;
                    g[3 * k] = (float)(ci * (rho - _pi[o + k]));
                    g[3 * k + 1] = (float)(ci * rho * diff * inv * inv);
                    g[3 * k + 2] = (float)(ci * rho * (diff * diff * inv * inv - 1) * inv * _dsigma[o + k]);
                }
            }
        }
        float* top = _hs[_nb];
        TorchNative.Gemm(true, false, _out, h, n, 1f, _gP, _out, top, h, 0f, _final.GW, h);
        VectorMath.ColumnSums(_gP, n, _out, _final.GB);
        TorchNative.Gemm(false, false, n, h, _out, 1f, _gP, _out, _final.W, h, 0f, _gH, h);
        for (int b = _nb - 1; b >= 0; b--)
        {
            var (ctxL, first, second) = _blocks[b];
            float* a = _a[b], r = _r[b];
            // h' = h + W1 r + b1, r = relu(W0 a + b0 + W_c c + b_c), a = relu(h)
            TorchNative.Gemm(true, false, h, h, n, 1f, _gH, h, r, h, 0f, second.GW, h);
            VectorMath.ColumnSums(_gH, n, h, second.GB);
            TorchNative.Gemm(false, false, n, h, h, 1f, _gH, h, second.W, h, 0f, _gT, h);
            VectorMath.ReluBackward(_gT, r, n * h);
            TorchNative.Gemm(true, false, h, h, n, 1f, _gT, h, a, h, 0f, first.GW, h);
            VectorMath.ColumnSums(_gT, n, h, first.GB);
            TorchNative.Gemm(true, false, h, c, n, 1f, _gT, h, _ctx, c, 0f, ctxL.GW, c);
            VectorMath.ColumnSums(_gT, n, h, ctxL.GB);
            TorchNative.Gemm(false, false, n, h, h, 1f, _gT, h, first.W, h, 0f, _gA, h);
            VectorMath.ReluBackward(_gA, a, n * h);
            VectorMath.Add(_gH, _gA, _gH, n * h);
        }
        TorchNative.Gemm(true, false, h, f, n, 1f, _gH, h, _u, f, 0f, _initial.GW, f);
        VectorMath.ColumnSums(_gH, n, h, _initial.GB);
        TorchNative.Gemm(true, false, h, c, n, 1f, _gH, h, _ctx, c, 0f, _context.GW, c);
        VectorMath.ColumnSums(_gH, n, h, _context.GB);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_block is not null) NativeMemory.AlignedFree(_block);
        _block = null;
        _capacity = 0;
    }
}
