using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sbi.Estimators;
using Sbi.Transforms;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// A hand-fused CPU forward and backward pass of sbi's NSF for D &gt; 1 (θ z-scoring, T × [rational-quadratic spline
/// coupling with a ReLU residual-net conditioner gated by the context, LU linear], standard-normal base) for training.
/// The conditioners run as MKL GEMMs over preallocated buffers, the splines per element in double precision
/// (<see cref="SplineMath"/>, recomputed in the backward instead of stored), the LU layers as D×D loops. Gradients
/// go straight into the optimiser's flat gradient buffer. Same maths as the modules; float rounding apart (tests hold
/// it to the autograd path).
/// </summary>
internal sealed unsafe class NsfKernel : ITrainingKernel
{
    private sealed class Block
    {
        public required BoundAffine Context, First, Second;
    }

    private sealed class Coupling
    {
        public required int[] Identity, Transformed;
        public required BoundAffine Initial, Final;
        public required Block[] Blocks;
        public required SplineMath Spline;
        public required float* LuBias, LuLower, LuUpper, LuDiag, GLuBias, GLuLower, GLuUpper, GLuDiag;
    }

    private readonly int _d, _h, _c;
    private readonly Coupling[] _layers;
    private readonly float[] _scale, _shift;
    private readonly double _logConst;

    // Per-layer activations of the last forward pass (rows × width each), in one native block.
    private int _capacity, _rows;
    private float* _block;
    private float*[] _y = null!, _x0 = null!, _p = null!, _z = null!;
    private float*[][] _hs = null!, _r0 = null!, _r1 = null!, _tt = null!, _gate = null!;
    private float* _ctx, _logDet, _gY, _gZ, _gP, _gH, _gT, _gA, _gX0, _gTmp, _ones;
    private readonly double[][] _lu; // per layer: L (D×D), U (D×D), diag (D) recomputed each forward

    private NsfKernel(int d, int h, int c, Coupling[] layers, float[] scale, float[] shift, double logConst)
    {
        _d = d; _h = h; _c = c; _layers = layers; _scale = scale; _shift = shift; _logConst = logConst;
        _lu = layers.Select(_ => new double[2 * d * d + d]).ToArray();
    }

    /// <summary>Binds a kernel to an NSF (D &gt; 1) whose trainable parameters have gradient buffers, or returns null with the reason.</summary>
    public static NsfKernel? TryCreate(ConditionalDensityEstimator estimator, out string reason)
    {
        reason = Check(estimator, out var flow);
        if (flow is null) return null;
        using var scope = NewDisposeScope();
        var ts = ((CompositeTransform)flow.Transform).Transforms;
        int start = ts[0] is PointwiseAffineTransform ? 1 : 0;
        var first = (PiecewiseRationalQuadraticCouplingTransform)ts[start];
        var net0 = (ResidualNet)first.TransformNet;
        int d = first.Features, h = net0.HiddenFeatures, c = net0.ContextFeatures;
        var (scale, shift, logScaleSum) = KernelInputs.ThetaZScore(start == 1 ? (PointwiseAffineTransform)ts[0] : null, d);
        long covered = 0;
        var layers = new List<Coupling>();
        for (int i = start; i < ts.Count; i += 2)
        {
            var coupling = (PiecewiseRationalQuadraticCouplingTransform)ts[i];
            var lu = ((LULinear)ts[i + 1]).Parameters;
            var (initial, blocks, final) = ((ResidualNet)coupling.TransformNet).Layers;
            var (identity, transformed) = coupling.FeatureSplit;
            var st = coupling.SplineSettings;
            layers.Add(new Coupling
            {
                Identity = identity.Select(v => (int)v).ToArray(),
                Transformed = transformed.Select(v => (int)v).ToArray(),
                Initial = BoundAffine.Bind(initial, ref covered),
                Final = BoundAffine.Bind(final, ref covered),
                Blocks = blocks.Select(b => new Block
                {
                    Context = BoundAffine.Bind(b.ContextLayer!, ref covered), First = BoundAffine.Bind(b.LinearLayers.First, ref covered), Second = BoundAffine.Bind(b.LinearLayers.Second, ref covered),
                }).ToArray(),
                Spline = new SplineMath(coupling.NumBins, st.TailBound, st.Divisor, st.MinBinWidth, st.MinBinHeight, st.MinDerivative),
                LuBias = Data(lu.Bias, ref covered), LuLower = Data(lu.Lower, ref covered), LuUpper = Data(lu.Upper, ref covered), LuDiag = Data(lu.Diag, ref covered),
                GLuBias = Grad(lu.Bias), GLuLower = Grad(lu.Lower), GLuUpper = Grad(lu.Upper), GLuDiag = Grad(lu.Diag),
            });
        }
        reason = KernelInputs.CoverageReason(estimator, covered);
        if (reason.Length > 0) return null;
        double logConst = -0.5 * d * Math.Log(2 * Math.PI) + logScaleSum;
        return new NsfKernel(d, h, c, layers.ToArray(), scale, shift, logConst);
    }

    private static string Check(ConditionalDensityEstimator estimator, out Flow? flow)
    {
        flow = null;
        if (FusedAvailability.Reason is { } unavailable) return unavailable;
        if (estimator is not FlowEstimator fe) return "the estimator is not a flow";
        if (fe.Net.Distribution is not StandardNormal) return "the base distribution is not a standard normal";
        if (fe.Net.EmbeddingNet.parameters().Any(p => p.requires_grad)) return "the embedding net has trainable parameters";
        if (fe.Net.Transform is not CompositeTransform composite) return "the transform is not composite";
        var ts = composite.Transforms;
        int start = ts.Count > 0 && ts[0] is PointwiseAffineTransform ? 1 : 0;
        if (ts.Count == start || (ts.Count - start) % 2 != 0) return "the transforms are not [z-score] + pairs of spline coupling and LU linear";
        int? h = null, blocks = null;
        for (int i = start; i < ts.Count; i += 2)
        {
            if (ts[i] is not PiecewiseRationalQuadraticCouplingTransform coupling || ts[i + 1] is not LULinear)
                return "a transform is not a spline coupling followed by an LU linear layer";
            if (coupling.TransformNet is not ResidualNet net || !net.ActivationIsRelu) return "the conditioner is not sbi's ReLU residual net";
            var layers = net.Layers;
            if (net.ContextFeatures == 0 || layers.Blocks.Any(b => b.ContextLayer is null)) return "the conditioner has no context";
            if (layers.Blocks.Any(b => b.DropoutProbability > 0)) return "the conditioner uses dropout";
            if ((h ?? net.HiddenFeatures) != net.HiddenFeatures || (blocks ?? layers.Blocks.Count) != layers.Blocks.Count)
                return "the conditioners differ in shape";
            (h, blocks) = (net.HiddenFeatures, layers.Blocks.Count);
        }
        var cpu = KernelInputs.CpuFloat32Reason(estimator);
        if (cpu.Length > 0) return cpu;
        flow = fe.Net;
        return "";
    }

    private static float* Data(Parameter p, ref long covered)
    {
        covered += p.numel();
        return TorchNative.Data(p);
    }

    private static float* Grad(Parameter p)
    {
        using var g = p.grad ?? throw new InvalidOperationException("the fused kernel needs gradient buffers (build the optimiser first).");
        return TorchNative.Data(g);
    }

    private void Ensure(int rows)
    {
        if (rows <= _capacity) return;
        if (_block is not null) NativeMemory.AlignedFree(_block);
        int t = _layers.Length, nb = _layers[0].Blocks.Length, d = _d, h = _h;
        int maxIn = _layers.Max(l => l.Initial.In), maxP = _layers.Max(l => l.Final.Out);
        long per = (t + 1L) * d + t * ((long)maxIn + maxP + d + (nb + 1L) * h + 4L * nb * h) + _c + 1 + 2L * d + maxP + 4L * h + maxIn + 1 + h;
        _block = (float*)NativeMemory.AlignedAlloc((nuint)(per * rows * sizeof(float)), 64);
        _capacity = rows;
        float* cur = _block;
        float* Take(int cols) { var r = cur; cur += (long)cols * rows; return r; }
        _y = new float*[t + 1]; _x0 = new float*[t]; _p = new float*[t]; _z = new float*[t];
        _hs = new float*[t][]; _r0 = new float*[t][]; _r1 = new float*[t][]; _tt = new float*[t][]; _gate = new float*[t][];
        for (int i = 0; i <= t; i++) _y[i] = Take(d);
        for (int i = 0; i < t; i++)
        {
            _x0[i] = Take(maxIn); _p[i] = Take(maxP); _z[i] = Take(d);
            _hs[i] = new float*[nb + 1];
            for (int b = 0; b <= nb; b++) _hs[i][b] = Take(h);
            _r0[i] = new float*[nb]; _r1[i] = new float*[nb]; _tt[i] = new float*[nb]; _gate[i] = new float*[nb];
            for (int b = 0; b < nb; b++) { _r0[i][b] = Take(h); _r1[i][b] = Take(h); _tt[i][b] = Take(h); _gate[i][b] = Take(h); }
        }
        _ctx = Take(_c); _logDet = Take(1); _gY = Take(d); _gZ = Take(d); _gP = Take(maxP);
        _gH = Take(h); _gT = Take(h); _gA = Take(h); _gTmp = Take(h); _gX0 = Take(maxIn); _ones = Take(1);
        new Span<float>(_ones, rows).Fill(1f);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor LogProb(Tensor theta, Tensor context)
    {
        int n = KernelInputs.CheckShapes(theta, context, _d, _c), d = _d, h = _h, c = _c;
        using var threads = TorchNative.SingleThreadedMkl();
        Ensure(n);
        _rows = n;
        KernelInputs.CopyStandardized(theta, _scale, _shift, _y[0], d);
        KernelInputs.CopyContext(context, _ctx);
        var logDet = new double[n];
        for (int t = 0; t < _layers.Length; t++)
        {
            var l = _layers[t];
            float* y = _y[t], x0 = _x0[t], pp = _p[t], z = _z[t];
            int nI = l.Identity.Length, nF = l.Transformed.Length, inW = l.Initial.In, pw = l.Final.Out, np = l.Spline.ParameterCount;
            // Conditioner: h0 = W_in [y_identity ; context] + b_in, residual blocks gated by the context, final layer.
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < nI; j++) x0[i * inW + j] = y[i * d + l.Identity[j]];
                Buffer.MemoryCopy(_ctx + (long)i * c, x0 + (long)i * inW + nI, c * 4, c * 4);
            }
            float* hcur = _hs[t][0];
            VectorMath.FillRows(hcur, l.Initial.B, null, n, h);
            TorchNative.Gemm(false, true, n, h, inW, 1f, x0, inW, l.Initial.W, inW, 1f, hcur, h);
            for (int b = 0; b < l.Blocks.Length; b++)
            {
                var blk = l.Blocks[b];
                float* r0 = _r0[t][b], r1 = _r1[t][b], tt = _tt[t][b], gate = _gate[t][b], next = _hs[t][b + 1];
                VectorMath.Relu(hcur, r0, n * h);
                VectorMath.FillRows(r1, blk.First.B, null, n, h);
                TorchNative.Gemm(false, true, n, h, h, 1f, r0, h, blk.First.W, h, 1f, r1, h);
                VectorMath.Relu(r1, r1, n * h);
                VectorMath.FillRows(tt, blk.Second.B, null, n, h);
                TorchNative.Gemm(false, true, n, h, h, 1f, r1, h, blk.Second.W, h, 1f, tt, h);
                VectorMath.FillRows(gate, blk.Context.B, null, n, h);
                TorchNative.Gemm(false, true, n, h, c, 1f, _ctx, c, blk.Context.W, c, 1f, gate, h);
                VectorMath.Sigmoid(gate, gate, n * h);
                VectorMath.MultiplyAdd(hcur, tt, gate, next, n * h);
                hcur = next;
            }
            VectorMath.FillRows(pp, l.Final.B, null, n, pw);
            TorchNative.Gemm(false, true, n, pw, h, 1f, hcur, h, l.Final.W, h, 1f, pp, pw);
            // Splines on the transformed features; identity features pass through.
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < nI; j++) z[i * d + l.Identity[j]] = y[i * d + l.Identity[j]];
                for (int f = 0; f < nF; f++)
                {
                    int col = l.Transformed[f];
                    var (o, ld) = l.Spline.Forward(y[i * d + col], new ReadOnlySpan<float>(pp + (long)i * pw + f * np, np));
                    z[i * d + col] = o;
                    logDet[i] += ld;
                }
            }
            // LU linear: y' = L U z + bias, log|det| = Σ log diag(U).
            var lu = AssembleLu(l, _lu[t]);
            float* next2 = _y[t + 1];
            double ldLu = 0;
            for (int k = 0; k < d; k++) ldLu += Math.Log(lu[2 * d * d + k]);
            for (int i = 0; i < n; i++)
            {
                for (int r = 0; r < d; r++)
                {
                    double acc = l.LuBias[r];
                    for (int k = 0; k < d; k++) acc += lu[r * d + k] * z[i * d + k]; // W = L U stored in the first D×D
                    next2[i * d + r] = (float)acc;
                }
                logDet[i] += ldLu;
            }
        }
        var result = new float[n];
        float* last = _y[_layers.Length];
        for (int i = 0; i < n; i++)
        {
            double sq = 0;
            for (int j = 0; j < d; j++) sq += (double)last[i * d + j] * last[i * d + j];
            result[i] = (float)(-0.5 * sq + _logConst + logDet[i]);
        }
        return tensor(result);
    }

    /// <summary>Fills W = L U (first D×D), U (second D×D) and diag(U) (last D) from the layer's parameters; returns the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double[] AssembleLu(Coupling l, double[] buf)
    {
        int d = _d;
        Span<double> lower = stackalloc double[d * d], upper = stackalloc double[d * d];
        lower.Clear(); upper.Clear();
        int li = 0, ui = 0;
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
            {
                if (c < r) lower[r * d + c] = l.LuLower[li++];
                else if (c > r) upper[r * d + c] = l.LuUpper[ui++];
                else
                {
                    lower[r * d + c] = 1;
                    double u = l.LuDiag[r];
                    double diag = SplineMath.Softplus(u) + EstimatorConstants.LuEpsilon;
                    upper[r * d + c] = diag;
                    buf[2 * d * d + r] = diag;
                }
            }
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
            {
                double acc = 0;
                for (int k = 0; k < d; k++) acc += lower[r * d + k] * upper[k * d + c];
                buf[r * d + c] = acc;
                buf[d * d + r * d + c] = upper[r * d + c];
            }
        return buf;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(Tensor coefficients)
    {
        int n = _rows, d = _d, h = _h, c = _c;
        if (coefficients.numel() != n) throw new ArgumentException($"coefficients must have {n} entries; got {coefficients.numel()}.", nameof(coefficients));
        using var threads = TorchNative.SingleThreadedMkl();
        using var cf = coefficients.to(ScalarType.Float32).contiguous();
        float* coef = TorchNative.Data(cf);
        double coefSum = 0;
        for (int i = 0; i < n; i++) coefSum += coef[i];
        float* last = _y[_layers.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) _gY[i * d + j] = -coef[i] * last[i * d + j];
        Span<double> gW = stackalloc double[d * d];
        for (int t = _layers.Length - 1; t >= 0; t--)
        {
            var l = _layers[t];
            var lu = _lu[t];
            float* z = _z[t], y = _y[t], pp = _p[t], x0 = _x0[t];
            int nI = l.Identity.Length, nF = l.Transformed.Length, inW = l.Initial.In, pw = l.Final.Out, np = l.Spline.ParameterCount;

            // LU linear backward: gz = gy' W, gW = gy'ᵀ z, then W = L U onto the entries; diag also gets Σ c_i / diag.
            gW.Clear();
            for (int r = 0; r < d; r++) l.GLuBias[r] = 0f;
            for (int i = 0; i < n; i++)
            {
                for (int r = 0; r < d; r++)
                {
                    float g = _gY[i * d + r];
                    l.GLuBias[r] += g;
                    for (int k = 0; k < d; k++) gW[r * d + k] += g * z[i * d + k];
                }
                for (int k = 0; k < d; k++)
                {
                    double acc = 0;
                    for (int r = 0; r < d; r++) acc += _gY[i * d + r] * lu[r * d + k];
                    _gZ[i * d + k] = (float)acc;
                }
            }
            LuGradients(l, lu, gW, coefSum);

            // Spline backward per element; identity features collect their direct gradient here and the conditioner's below.
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < nI; j++) _gY[i * d + l.Identity[j]] = _gZ[i * d + l.Identity[j]];
                for (int f = 0; f < nF; f++)
                {
                    int col = l.Transformed[f];
                    _gY[i * d + col] = l.Spline.Backward(y[i * d + col], new ReadOnlySpan<float>(pp + (long)i * pw + f * np, np),
                        _gZ[i * d + col], coef[i], new Span<float>(_gP + (long)i * pw + f * np, np));
                }
            }

            // Conditioner backward.
            int nb = l.Blocks.Length;
            TorchNative.Gemm(true, false, pw, h, n, 1f, _gP, pw, _hs[t][nb], h, 0f, l.Final.GW, h);
            TorchNative.Gemm(false, false, 1, pw, n, 1f, _ones, n, _gP, pw, 0f, l.Final.GB, pw);
            TorchNative.Gemm(false, false, n, h, pw, 1f, _gP, pw, l.Final.W, h, 0f, _gH, h);
            for (int b = nb - 1; b >= 0; b--)
            {
                var blk = l.Blocks[b];
                float* r0 = _r0[t][b], r1 = _r1[t][b], tt = _tt[t][b], gate = _gate[t][b];
                // h' = h + tt ⊙ gate
                VectorMath.Multiply(_gH, gate, _gT, n * h);          // ∂/∂tt
                VectorMath.Multiply(_gH, tt, _gA, n * h);            // ∂/∂gate
                VectorMath.SigmoidBackward(_gA, gate, n * h);
                TorchNative.Gemm(true, false, h, c, n, 1f, _gA, h, _ctx, c, 0f, blk.Context.GW, c);
                TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gA, h, 0f, blk.Context.GB, h);
                // tt = W1 r1 + b1, r1 = relu(W0 r0 + b0), r0 = relu(h)
                TorchNative.Gemm(true, false, h, h, n, 1f, _gT, h, r1, h, 0f, blk.Second.GW, h);
                TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gT, h, 0f, blk.Second.GB, h);
                TorchNative.Gemm(false, false, n, h, h, 1f, _gT, h, blk.Second.W, h, 0f, _gTmp, h);
                VectorMath.ReluBackward(_gTmp, r1, n * h);
                TorchNative.Gemm(true, false, h, h, n, 1f, _gTmp, h, r0, h, 0f, blk.First.GW, h);
                TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gTmp, h, 0f, blk.First.GB, h);
                TorchNative.Gemm(false, false, n, h, h, 1f, _gTmp, h, blk.First.W, h, 0f, _gA, h);
                VectorMath.ReluBackward(_gA, r0, n * h);
                VectorMath.Add(_gH, _gA, _gH, n * h);
            }
            TorchNative.Gemm(true, false, h, inW, n, 1f, _gH, h, x0, inW, 0f, l.Initial.GW, inW);
            TorchNative.Gemm(false, false, 1, h, n, 1f, _ones, n, _gH, h, 0f, l.Initial.GB, h);
            if (t > 0) // θ itself needs no gradient
            {
                TorchNative.Gemm(false, false, n, inW, h, 1f, _gH, h, l.Initial.W, inW, 0f, _gX0, inW);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < nI; j++) _gY[i * d + l.Identity[j]] += _gX0[i * inW + j];
            }
        }
    }

    /// <summary>Chain rule from ∂L/∂W (W = L U) onto lower_entries, upper_entries and the unconstrained diagonal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LuGradients(Coupling l, double[] lu, ReadOnlySpan<double> gW, double coefSum)
    {
        int d = _d;
        ReadOnlySpan<double> upper = new ReadOnlySpan<double>(lu, d * d, d * d);
        // L is unit lower triangular: rebuild it from the entries (the forward kept only W and U).
        Span<double> lower = stackalloc double[d * d];
        lower.Clear();
        int li = 0;
        for (int r = 0; r < d; r++)
            for (int cc = 0; cc <= r; cc++) lower[r * d + cc] = cc == r ? 1 : l.LuLower[li++];
        li = 0;
        int ui = 0;
        for (int r = 0; r < d; r++)
            for (int cc = 0; cc < d; cc++)
            {
                if (cc < r)
                {
                    double g = 0;                                           // (gW Uᵀ)_rc
                    for (int k = 0; k < d; k++) g += gW[r * d + k] * upper[cc * d + k];
                    l.GLuLower[li++] = (float)g;
                }
                else
                {
                    double g = 0;                                           // (Lᵀ gW)_rc
                    for (int k = 0; k < d; k++) g += lower[k * d + r] * gW[k * d + cc];
                    if (cc > r) l.GLuUpper[ui++] = (float)g;
                    else
                    {
                        double diag = lu[2 * d * d + r];
                        g += coefSum / diag;                                // from Σ_i c_i Σ_j log diag_j
                        double u = l.LuDiag[r];
                        l.GLuDiag[r] = (float)(g / (1 + Math.Exp(-u)));      // softplus' = sigmoid
                    }
                }
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
