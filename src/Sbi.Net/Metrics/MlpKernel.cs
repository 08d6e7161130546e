using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sbi.Nn.Fused;

namespace Sbi.Metrics;

/// <summary>
/// <see cref="MlpClassifier"/>'s training loop on plain float32 buffers, with MKL's <c>sgemm_</c> for the products
/// (<see cref="TorchNative"/>) and AVX2 loops for the rest: the same forward pass, hand-written backward pass, L2 term,
/// scikit-learn Adam step, batch schedule and stopping rule as the TorchSharp loop, without its per-operation cost.
/// A C2ST step is a few dozen operations on 200 × (10·D) matrices, so that cost was most of the time (about 1 ms a
/// step against tens of microseconds of arithmetic for D = 2). Results equal the TorchSharp loop's up to float32
/// rounding (other summation orders).
/// </summary>
internal static unsafe class MlpKernel
{
    /// <summary>Why the kernel cannot run here (null when it can): <see cref="FusedAvailability.Reason"/>.</summary>
    public static string? Reason => FusedAvailability.Reason;

    /// <summary>The training hyper-parameters (scikit-learn's names).</summary>
    public readonly record struct Options(double Alpha, double LearningRate, double Beta1, double Beta2, double Epsilon,
                                          int MaxIter, double Tol, int NIterNoChange, int BatchSize);

    /// <summary>
    /// Trains in place: <paramref name="parameters"/> holds the initial weights then biases (layout of
    /// <see cref="MlpClassifier"/>) and ends with the trained ones. <paramref name="x"/> is (n × units[0]) row-major,
    /// <paramref name="y"/> the labels in {0, 1}. Returns the epochs run; each epoch's loss goes to <paramref name="lossCurve"/>.
    /// </summary>
    public static int Fit(float[] x, float[] y, int n, int[] units, float[] parameters, Options o, IRandomStream rng, List<double> lossCurve)
    {
        int layers = units.Length - 1;
        int d = units[0];
        int nW = 0;
        var wOff = new int[layers];
        var bOff = new int[layers];
        for (int i = 0; i < layers; i++) { wOff[i] = nW; nW += units[i] * units[i + 1]; }
        int off = nW;
        for (int i = 0; i < layers; i++) { bOff[i] = off; off += units[i + 1]; }
        int nP = off;
        int bs = Math.Min(o.BatchSize, n);

        var grad = new float[nP];
        var m = new float[nP];
        var v = new float[nP];
        var xb = new float[bs * d];
        var yb = new float[bs];
        var act = new float[layers + 1][];    // act[0] = the batch, act[i] = layer i's output (after ReLU for hidden layers)
        var delta = new float[layers][];      // gradient of the batch loss w.r.t. layer i's pre-activation, divided by n_batch
        act[0] = xb;
        for (int i = 0; i < layers; i++) { act[i + 1] = new float[bs * units[i + 1]]; delta[i] = new float[bs * units[i + 1]]; }
        var idx = new long[n];
        for (int i = 0; i < n; i++) idx[i] = i;

        const float clipEps = 1.1920929e-7f;   // np.finfo(np.float32).eps
        double best = double.PositiveInfinity;
        int noImprove = 0, nIter = 0;
        long t = 0;
        lossCurve.Clear();
        using var mkl = TorchNative.SingleThreadedMkl();
        fixed (float* px = x, py = y, pp = parameters, pg = grad, pm = m, pv = v, pxb = xb, pyb = yb)
        {
            var a = new IntPtr[layers + 1];
            var dl = new IntPtr[layers];
            var handles = new System.Runtime.InteropServices.GCHandle[2 * layers + 1];
            try
            {
                for (int i = 0; i <= layers; i++)
                {
                    handles[i] = System.Runtime.InteropServices.GCHandle.Alloc(act[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                    a[i] = handles[i].AddrOfPinnedObject();
                }
                for (int i = 0; i < layers; i++)
                {
                    handles[layers + 1 + i] = System.Runtime.InteropServices.GCHandle.Alloc(delta[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                    dl[i] = handles[layers + 1 + i].AddrOfPinnedObject();
                }
                for (int epoch = 0; epoch < o.MaxIter; epoch++)
                {
                    rng.Shuffle(idx);
                    double lossSum = 0;
                    for (int start = 0; start < n; start += bs)
                    {
                        int nb = Math.Min(bs, n - start);
                        for (int r = 0; r < nb; r++)
                        {
                            long row = idx[start + r];
                            Buffer.MemoryCopy(px + row * d, pxb + (long)r * d, (long)d * sizeof(float), (long)d * sizeof(float));
                            pyb[r] = py[row];
                        }

                        // Forward: act[i + 1] = act[i] W_i + b_i, ReLU on the hidden layers.
                        for (int i = 0; i < layers; i++)
                        {
                            float* ai = (float*)a[i], ao = (float*)a[i + 1];
                            int fin = units[i], fout = units[i + 1];
                            VectorMath.FillRows(ao, pp + bOff[i], null, nb, fout);
                            TorchNative.Gemm(false, false, nb, fout, fin, 1f, ai, fin, pp + wOff[i], fout, 1f, ao, fout);
                            if (i < layers - 1) VectorMath.Relu(ao, ao, nb * fout);
                        }

                        // Output: p = sigmoid(z); loss terms on p clipped to [eps, 1 − eps]; δ = (p − y) / n_batch.
                        float* z = (float*)a[layers], dOut = (float*)dl[layers - 1];
                        float invNb = 1f / nb;
                        for (int r = 0; r < nb; r++)
                        {
                            float p = 1f / (1f + MathF.Exp(-z[r]));
                            float q = Math.Clamp(p, clipEps, 1f - clipEps);
                            lossSum -= pyb[r] > 0.5f ? Math.Log(q) : Math.Log(1f - q);
                            dOut[r] = (p - pyb[r]) * invNb;
                        }
                        double sq = 0;
                        for (int j = 0; j < nW; j++) sq += (double)pp[j] * pp[j];
                        lossSum += 0.5 * o.Alpha * sq;

                        // Backward: gW_i = act[i]ᵀ δ_i, gb_i = Σ_rows δ_i, δ_{i−1} = (δ_i W_iᵀ) ⊙ [act[i] > 0].
                        for (int i = layers - 1; i >= 0; i--)
                        {
                            float* ai = (float*)a[i], di = (float*)dl[i];
                            int fin = units[i], fout = units[i + 1];
                            TorchNative.Gemm(true, false, fin, fout, nb, 1f, ai, fin, di, fout, 0f, pg + wOff[i], fout);
                            VectorMath.ColumnSums(di, nb, fout, pg + bOff[i]);
                            if (i > 0)
                            {
                                float* dp = (float*)dl[i - 1];
                                TorchNative.Gemm(false, true, nb, fin, fout, 1f, di, fout, pp + wOff[i], fout, 0f, dp, fin);
                                VectorMath.ReluBackward(dp, ai, nb * fin);
                            }
                        }
                        AddScaled(pg, pp, (float)(o.Alpha / nb), nW);

                        t++;
                        double lrT = o.LearningRate * Math.Sqrt(1 - Math.Pow(o.Beta2, t)) / (1 - Math.Pow(o.Beta1, t));
                        AdamStep(pp, pg, pm, pv, nP, (float)o.Beta1, (float)o.Beta2, (float)o.Epsilon, (float)lrT);
                    }

                    nIter++;
                    double loss = lossSum / n;
                    lossCurve.Add(loss);
                    if (loss > best - o.Tol) noImprove++; else noImprove = 0;
                    if (loss < best) best = loss;
                    if (noImprove > o.NIterNoChange) break;
                }
            }
            finally
            {
                foreach (var h in handles) if (h.IsAllocated) h.Free();
            }
        }
        return nIter;
    }

    /// <summary>g ← g + s·w over the first n entries.</summary>
    private static void AddScaled(float* g, float* w, float s, int n)
    {
        int i = 0;
        var sv = Vector256.Create(s);
        for (; i + 8 <= n; i += 8) Avx.Store(g + i, Fma.MultiplyAdd(sv, Avx.LoadVector256(w + i), Avx.LoadVector256(g + i)));
        for (; i < n; i++) g[i] += s * w[i];
    }

    /// <summary>scikit-learn's Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr_t·m/(√v + ε).</summary>
    private static void AdamStep(float* p, float* g, float* m, float* v, int n, float beta1, float beta2, float eps, float lrT)
    {
        float c1 = 1f - beta1, c2 = 1f - beta2;
        int i = 0;
        var b1 = Vector256.Create(beta1);
        var b2 = Vector256.Create(beta2);
        var k1 = Vector256.Create(c1);
        var k2 = Vector256.Create(c2);
        var e = Vector256.Create(eps);
        var lr = Vector256.Create(lrT);
        for (; i + 8 <= n; i += 8)
        {
            var gv = Avx.LoadVector256(g + i);
            var mv = Fma.MultiplyAdd(b1, Avx.LoadVector256(m + i), Avx.Multiply(k1, gv));
            var vv = Fma.MultiplyAdd(b2, Avx.LoadVector256(v + i), Avx.Multiply(k2, Avx.Multiply(gv, gv)));
            Avx.Store(m + i, mv);
            Avx.Store(v + i, vv);
            var step = Avx.Divide(Avx.Multiply(lr, mv), Avx.Add(Avx.Sqrt(vv), e));
            Avx.Store(p + i, Avx.Subtract(Avx.LoadVector256(p + i), step));
        }
        for (; i < n; i++)
        {
            m[i] = beta1 * m[i] + c1 * g[i];
            v[i] = beta2 * v[i] + c2 * g[i] * g[i];
            p[i] -= lrT * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }
}
