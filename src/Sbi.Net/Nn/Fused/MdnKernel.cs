using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sbi.Estimators;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// A hand-fused CPU forward and backward pass of sbi's <c>mdn</c> estimator for training: the two-layer ReLU net on
/// the context and the four heads as MKL GEMMs, then per row and component the full-covariance Gaussian term
/// (‖A(z − μ)‖² + ε‖z − μ‖², log|det| = Σ log diag A, sbi's arithmetic) and the mixture, in double precision.
/// Gradients go straight into the optimiser's flat buffer.
/// </summary>
internal sealed unsafe class MdnKernel : ITrainingKernel
{
    private readonly int _d, _h, _c, _k, _u;
    private readonly BoundAffine _h0, _h1, _logits, _means, _diag;
    private readonly BoundAffine? _upper;
    private readonly float[]? _shift, _scale;
    private readonly double _logScaleTerm, _eps, _logNorm;

    private int _capacity, _rows;
    private float* _block;
    private float* _ctx, _z, _a1, _a2, _pl, _pm, _pd, _pu, _gl, _gm, _gd, _gu, _gh, _gh2;
    // Kept by the forward pass for the backward: diag A = softplus(·), its derivative, log diag, y = A(z − μ),
    // the responsibilities ρ and the mixture weights π; the backward then needs no transcendental function.
    private float* _diagA, _dsig, _logDiag, _y, _rho, _pi;

    private MdnKernel(MultivariateGaussianMdn mdn, int c, float[]? shift, float[]? scale, double logScaleTerm, ref long covered)
    {
        _d = mdn.Features; _k = mdn.NumComponents; _c = c; _eps = mdn.Epsilon;
        _u = _d * (_d - 1) / 2;
        _logNorm = -0.5 * _d * Math.Log(2 * Math.PI);
        var l = mdn.Layers;
        _h = (int)l.Hidden0.weight!.shape[0];
        _h0 = BoundAffine.Bind(l.Hidden0, ref covered); _h1 = BoundAffine.Bind(l.Hidden1, ref covered);
        _logits = BoundAffine.Bind(l.Logits, ref covered); _means = BoundAffine.Bind(l.Means, ref covered); _diag = BoundAffine.Bind(l.Diagonal, ref covered);
        _upper = l.Upper is null ? null : BoundAffine.Bind(l.Upper, ref covered);
        _shift = shift; _scale = scale; _logScaleTerm = logScaleTerm;
    }

    /// <summary>Binds a kernel to an <c>mdn</c> estimator whose trainable parameters have gradient buffers, or returns null with the reason.</summary>
    public static MdnKernel? TryCreate(ConditionalDensityEstimator estimator, out string reason)
    {
        reason = "";
        if (FusedAvailability.Reason is { } unavailable) { reason = unavailable; return null; }
        if (estimator is not MdnEstimator mdn) { reason = "the estimator is not an MDN"; return null; }
        if (mdn.EmbeddingNet.parameters().Any(p => p.requires_grad)) { reason = "the embedding net has trainable parameters"; return null; }
        reason = KernelInputs.CpuFloat32Reason(estimator);
        if (reason.Length > 0) return null;
        using var scope = NewDisposeScope();
        int d = mdn.Net.Features;
        float[]? shift = null, scale = null;
        double logScaleTerm = 0;
        if (mdn.ThetaStandardization is { } zs)
        {
            shift = zs.Shift.expand(d).contiguous().data<float>().ToArray();
            scale = zs.Scale.expand(d).contiguous().data<float>().ToArray();
            logScaleTerm = zs.Scale.log().sum().item<float>(); // as sbi: Σ over the stored entries (once for a 0-dim σ)
        }
        long covered = 0;
        var c = (int)mdn.Net.Layers.Hidden0.weight!.shape[1];
        var kernel = new MdnKernel(mdn.Net, c, shift, scale, logScaleTerm, ref covered);
        reason = KernelInputs.CoverageReason(estimator, covered);
        if (reason.Length == 0) return kernel;
        kernel.Dispose();
        return null;
    }

    private void Ensure(int rows)
    {
        if (rows <= _capacity) return;
        if (_block is not null) NativeMemory.AlignedFree(_block);
        int kd = _k * _d, ku = Math.Max(1, _k * _u);
        long per = _c + _d + 4L * _h + 2L * (_k + 2L * kd + ku) + 4L * kd + 2L * _k;
        _block = (float*)NativeMemory.AlignedAlloc((nuint)(per * rows * sizeof(float)), 64);
        _capacity = rows;
        float* cur = _block;
        float* Take(int cols) { var r = cur; cur += (long)cols * rows; return r; }
        _ctx = Take(_c); _z = Take(_d); _a1 = Take(_h); _a2 = Take(_h);
        _pl = Take(_k); _pm = Take(kd); _pd = Take(kd); _pu = Take(ku);
        _gl = Take(_k); _gm = Take(kd); _gd = Take(kd); _gu = Take(ku);
        _gh = Take(_h); _gh2 = Take(_h);
        _diagA = Take(kd); _dsig = Take(kd); _logDiag = Take(kd); _y = Take(kd); _rho = Take(_k); _pi = Take(_k);
    }

    private void Head(BoundAffine a, float* input, float* output, int n)
    {
        VectorMath.FillRows(output, a.B, null, n, a.Out);
        TorchNative.Gemm(false, true, n, a.Out, _h, 1f, input, _h, a.W, _h, 1f, output, a.Out);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor LogProb(Tensor theta, Tensor context)
    {
        int n = KernelInputs.CheckShapes(theta, context, _d, _c), d = _d, h = _h, c = _c;
        using var threads = TorchNative.SingleThreadedMkl();
        Ensure(n);
        _rows = n;
        using (var th = theta.contiguous())
        {
            float* src = TorchNative.Data(th);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++)
                    _z[i * d + j] = _shift is null ? src[i * d + j] : (src[i * d + j] - _shift[j]) / _scale![j];
        }
        KernelInputs.CopyContext(context, _ctx);
        VectorMath.FillRows(_a1, _h0.B, null, n, h);
        TorchNative.Gemm(false, true, n, h, c, 1f, _ctx, c, _h0.W, c, 1f, _a1, h);
        VectorMath.Relu(_a1, _a1, n * h);
        VectorMath.FillRows(_a2, _h1.B, null, n, h);
        TorchNative.Gemm(false, true, n, h, h, 1f, _a1, h, _h1.W, h, 1f, _a2, h);
        VectorMath.Relu(_a2, _a2, n * h);
        Head(_logits, _a2, _pl, n);
        Head(_means, _a2, _pm, n);
        Head(_diag, _a2, _pd, n);
        if (_upper is not null) Head(_upper, _a2, _pu, n);
        // diag A = softplus(u) = max(u, 0) + log(1 + e^−|u|) and sigmoid(u), vectorised over the batch
        int m = n * _k * d;
        for (int o = 0; o < m; o++) _dsig[o] = -MathF.Abs(_pd[o]);
        VectorMath.Exp(_dsig, _dsig, m);
        for (int o = 0; o < m; o++) { float ex = _dsig[o]; _logDiag[o] = 1f + ex; _dsig[o] = _pd[o] >= 0 ? 1f / (1f + ex) : ex / (1f + ex); }
        VectorMath.Log(_logDiag, _logDiag, m);
        for (int o = 0; o < m; o++) _diagA[o] = MathF.Max(_pd[o], 0f) + _logDiag[o];
        VectorMath.Log(_diagA, _logDiag, m);
        var result = new float[n];
        Span<double> t = stackalloc double[_k];
        for (int i = 0; i < n; i++) result[i] = (float)(Row(i, t) - _logScaleTerm);
        return tensor(result);
    }

    /// <summary>log Σ_k π_k N_k(z_i) for row i, keeping y = A(z − μ), ρ and π for <see cref="RowBackward"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Row(int i, Span<double> terms)
    {
        int d = _d, kk = _k, u = _u;
        long kd = (long)i * kk * d;
        float* z = _z + (long)i * d, lg = _pl + (long)i * kk, mu = _pm + kd, up = _pu + (long)i * kk * u;
        float* diag = _diagA + kd, logDiag = _logDiag + kd, y = _y + kd, rho = _rho + (long)i * kk, pi = _pi + (long)i * kk;
        double lmax = double.NegativeInfinity;
        for (int k = 0; k < kk; k++) lmax = Math.Max(lmax, lg[k]);
        double lsum = 0;
        for (int k = 0; k < kk; k++) { double e = Math.Exp(lg[k] - lmax); pi[k] = (float)e; lsum += e; }
        double logNorm = lmax + Math.Log(lsum);
        double tmax = double.NegativeInfinity;
        for (int k = 0; k < kk; k++)
        {
            pi[k] = (float)(pi[k] / lsum);
            double logDet = 0, quad = 0, sq = 0;
            int e = k * u;
            for (int r = 0; r < d; r++)
            {
                double acc = diag[k * d + r] * (z[r] - mu[k * d + r]);
                for (int cc = r + 1; cc < d; cc++) acc += up[e++] * (z[cc] - mu[k * d + cc]);
                y[k * d + r] = (float)acc;
                double dr = z[r] - mu[k * d + r];
                quad += acc * acc;
                sq += dr * dr;
                logDet += logDiag[k * d + r];
            }
            terms[k] = lg[k] - logNorm + logDet - 0.5 * (quad + _eps * sq) + _logNorm;
            tmax = Math.Max(tmax, terms[k]);
        }
        double tsum = 0;
        for (int k = 0; k < kk; k++) { terms[k] = Math.Exp(terms[k] - tmax); tsum += terms[k]; }
        for (int k = 0; k < kk; k++) rho[k] = (float)(terms[k] / tsum);
        return tmax + Math.Log(tsum);
    }

    /// <summary>The head gradients of c_i · log q_i for row i from what <see cref="Row"/> kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RowBackward(int i, double ci)
    {
        int d = _d, kk = _k, u = _u;
        long kd = (long)i * kk * d;
        float* z = _z + (long)i * d, mu = _pm + kd, up = _pu + (long)i * kk * u;
        float* diag = _diagA + kd, dsig = _dsig + kd, y = _y + kd, rho = _rho + (long)i * kk, pi = _pi + (long)i * kk;
        float* gl = _gl + (long)i * kk, gm = _gm + kd, gd = _gd + kd, gu = _gu + (long)i * kk * u;
        Span<double> diff = stackalloc double[d], gdiff = stackalloc double[d], gdiag = stackalloc double[d];
        for (int k = 0; k < kk; k++)
        {
            double g = ci * rho[k];                                  // ∂/∂(log N_k)
            gl[k] = (float)(ci * (rho[k] - pi[k]));
            // log N = Σ log diag − ½(‖y‖² + ε‖diff‖²) + const, y = A diff
            for (int r = 0; r < d; r++)
            {
                diff[r] = z[r] - mu[k * d + r];
                gdiff[r] = -g * _eps * diff[r];
                gdiag[r] = g / diag[k * d + r];
            }
            int e = k * u;
            for (int r = 0; r < d; r++)
            {
                double gy = -g * y[k * d + r];
                gdiag[r] += gy * diff[r];
                gdiff[r] += gy * diag[k * d + r];
                for (int cc = r + 1; cc < d; cc++, e++)
                {
                    gu[e] = (float)(gy * diff[cc]);
                    gdiff[cc] += gy * up[e];
                }
            }
            for (int r = 0; r < d; r++)
            {
                gm[k * d + r] = (float)(-gdiff[r]);
                gd[k * d + r] = (float)(gdiag[r] * dsig[k * d + r]);  // softplus' = sigmoid
            }
        }
    }

    private void HeadBackward(BoundAffine a, float* grad, int n, bool accumulate)
    {
        TorchNative.Gemm(true, false, a.Out, _h, n, 1f, grad, a.Out, _a2, _h, 0f, a.GW, _h);
        VectorMath.ColumnSums(grad, n, a.Out, a.GB);
        TorchNative.Gemm(false, false, n, _h, a.Out, 1f, grad, a.Out, a.W, _h, accumulate ? 1f : 0f, _gh, _h);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(Tensor coefficients)
    {
        int n = _rows, h = _h, c = _c;
        if (coefficients.numel() != n) throw new ArgumentException($"coefficients must have {n} entries; got {coefficients.numel()}.", nameof(coefficients));
        using var threads = TorchNative.SingleThreadedMkl();
        using var cf = coefficients.to(ScalarType.Float32).contiguous();
        float* coef = TorchNative.Data(cf);
        for (int i = 0; i < n; i++) RowBackward(i, coef[i]);
        HeadBackward(_logits, _gl, n, false);
        HeadBackward(_means, _gm, n, true);
        HeadBackward(_diag, _gd, n, true);
        if (_upper is not null) HeadBackward(_upper, _gu, n, true);
        VectorMath.ReluBackward(_gh, _a2, n * h);
        TorchNative.Gemm(true, false, h, h, n, 1f, _gh, h, _a1, h, 0f, _h1.GW, h);
        VectorMath.ColumnSums(_gh, n, h, _h1.GB);
        TorchNative.Gemm(false, false, n, h, h, 1f, _gh, h, _h1.W, h, 0f, _gh2, h);
        VectorMath.ReluBackward(_gh2, _a1, n * h);
        TorchNative.Gemm(true, false, h, c, n, 1f, _gh2, h, _ctx, c, 0f, _h0.GW, c);
        VectorMath.ColumnSums(_gh2, n, h, _h0.GB);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_block is not null) NativeMemory.AlignedFree(_block);
        _block = null;
        _capacity = 0;
    }
}
