using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sbi.Nn.Fused;

/// <summary>Elementwise kernels of the fused CPU path, AVX2/FMA with scalar tails.</summary>
internal static unsafe class VectorMath
{
    /// <summary>True where the vector kernels run (x64 with AVX2 and FMA).</summary>
    public static bool Supported => Avx2.IsSupported && Fma.IsSupported;

    // Eigen's rational approximation of tanh on [-7.99, 7.99] (beyond it tanh is ±1 in float32); a few ulp,
    // against PyTorch's 1-ulp SLEEF tanh: differences of order 1e-7, far inside the 1e-5 parity tolerances.
    private const float Clamp = 7.99881172180175781f;
    private const float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
        A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f, A13 = -2.76076847742355e-16f;
    private const float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f, B6 = 1.19825839466702e-06f;
    private const float Tiny = 0.0004f;

    /// <summary>y = tanh(x) for n floats (in place allowed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(float* x, float* y, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(y + i, Tanh8(Avx.LoadVector256(x + i)));
        for (; i < n; i++) y[i] = TanhScalar(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tanh8(Vector256<float> a)
    {
        var x = Avx.Max(Avx.Min(a, Vector256.Create(Clamp)), Vector256.Create(-Clamp));
        var x2 = Avx.Multiply(x, x);
        var p = Fma.MultiplyAdd(x2, Vector256.Create(A13), Vector256.Create(A11));
        p = Fma.MultiplyAdd(x2, p, Vector256.Create(A9));
        p = Fma.MultiplyAdd(x2, p, Vector256.Create(A7));
        p = Fma.MultiplyAdd(x2, p, Vector256.Create(A5));
        p = Fma.MultiplyAdd(x2, p, Vector256.Create(A3));
        p = Fma.MultiplyAdd(x2, p, Vector256.Create(A1));
        p = Avx.Multiply(x, p);
        var q = Fma.MultiplyAdd(x2, Vector256.Create(B6), Vector256.Create(B4));
        q = Fma.MultiplyAdd(x2, q, Vector256.Create(B2));
        q = Fma.MultiplyAdd(x2, q, Vector256.Create(B0));
        var r = Avx.Divide(p, q);
        var tiny = Avx.Compare(Vector256.Abs(a), Vector256.Create(Tiny), FloatComparisonMode.OrderedLessThanNonSignaling);
        return Avx.BlendVariable(r, a, tiny);
    }

    private static float TanhScalar(float a) => Tanh8(Vector256.Create(a)).GetElement(0);

    /// <summary>g ← g ⊙ (1 − a²): the gradient through y = tanh(·) given its output a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TanhBackward(float* g, float* a, int n)
    {
        int i = 0;
        var one = Vector256.Create(1f);
        for (; i + 8 <= n; i += 8)
        {
            var av = Avx.LoadVector256(a + i);
            Avx.Store(g + i, Avx.Multiply(Avx.LoadVector256(g + i), Fma.MultiplyAddNegated(av, av, one)));
        }
        for (; i < n; i++) g[i] *= 1f - a[i] * a[i];
    }

    /// <summary>z = x + y for n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* x, float* y, float* z, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(z + i, Avx.Add(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i)));
        for (; i < n; i++) z[i] = x[i] + y[i];
    }

    /// <summary>Every row of the (rows × n) matrix c becomes <paramref name="bias"/>, or <paramref name="bias"/> plus the same row of <paramref name="add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillRows(float* c, float* bias, float* add, int rows, int n)
    {
        for (int r = 0; r < rows; r++, c += n)
        {
            if (add is null) Buffer.MemoryCopy(bias, c, n * sizeof(float), n * sizeof(float));
            else { Add(add, bias, c, n); add += n; }
        }
    }

    /// <summary>PyTorch's softplus (β = 1, threshold 20): x above 20 passes through; log1p(eˣ) ≈ eˣ below −15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Softplus(float x) => x > 20f ? x : x < -15f ? MathF.Exp(x) : (float)Math.Log(1.0 + Math.Exp(x));

    /// <summary>The logistic sigmoid, softplus's derivative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
    /// <summary>y = max(x, 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(float* x, float* y, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(y + i, Avx.Max(Avx.LoadVector256(x + i), Vector256<float>.Zero));
        for (; i < n; i++) y[i] = x[i] > 0f ? x[i] : 0f;
    }

    /// <summary>g ← g where r &gt; 0, else 0: the gradient through r = relu(·) given its output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(float* g, float* r, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var mask = Avx.Compare(Avx.LoadVector256(r + i), Vector256<float>.Zero, FloatComparisonMode.OrderedGreaterThanNonSignaling);
            Avx.Store(g + i, Avx.And(Avx.LoadVector256(g + i), mask));
        }
        for (; i < n; i++) if (!(r[i] > 0f)) g[i] = 0f;
    }

    /// <summary>y = sigmoid(x) = ½ + ½ tanh(x/2), through the vector tanh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid(float* x, float* y, int n)
    {
        int i = 0;
        var half = Vector256.Create(0.5f);
        for (; i + 8 <= n; i += 8) Avx.Store(y + i, Fma.MultiplyAdd(half, Tanh8(Avx.Multiply(half, Avx.LoadVector256(x + i))), half));
        for (; i < n; i++) y[i] = 0.5f + 0.5f * TanhScalar(0.5f * x[i]);
    }

    /// <summary>z = x ⊙ y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(float* x, float* y, float* z, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(z + i, Avx.Multiply(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i)));
        for (; i < n; i++) z[i] = x[i] * y[i];
    }

    /// <summary>z = a + x ⊙ y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(float* a, float* x, float* y, float* z, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(z + i, Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), Avx.LoadVector256(a + i)));
        for (; i < n; i++) z[i] = a[i] + x[i] * y[i];
    }

    /// <summary>g ← g ⊙ s ⊙ (1 − s): the gradient through s = sigmoid(·) given its output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SigmoidBackward(float* g, float* s, int n)
    {
        int i = 0;
        var one = Vector256.Create(1f);
        for (; i + 8 <= n; i += 8)
        {
            var sv = Avx.LoadVector256(s + i);
            Avx.Store(g + i, Avx.Multiply(Avx.LoadVector256(g + i), Avx.Multiply(sv, Avx.Subtract(one, sv))));
        }
        for (; i < n; i++) g[i] *= s[i] * (1f - s[i]);
    }
    /// <summary>result[j] = Σ_i m[i, j] for a (rows × cols) row-major matrix (a bias gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnSums(float* m, int rows, int cols, float* result)
    {
        new Span<float>(result, cols).Clear();
        for (int i = 0; i < rows; i++) Add(result, m + (long)i * cols, result, cols);
    }

    /// <summary>y = eˣ (vectorised; a few ulp, as PyTorch's vectorised exp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp(float* x, float* y, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(y + i, Vector256.Exp(Avx.LoadVector256(x + i)));
        for (; i < n; i++) y[i] = MathF.Exp(x[i]);
    }

    /// <summary>y = ln x (vectorised).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Log(float* x, float* y, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) Avx.Store(y + i, Vector256.Log(Avx.LoadVector256(x + i)));
        for (; i < n; i++) y[i] = MathF.Log(x[i]);
    }
}
