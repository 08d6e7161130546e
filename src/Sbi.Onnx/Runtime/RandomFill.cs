namespace Sbi.Onnx.Runtime;

/// <summary>
/// Fills buffers with standard-normal and uniform float32 draws. Each call takes one 64-bit seed from the
/// caller's <see cref="Random"/> and expands it with xoshiro256** (fast, and reproducible for a seeded
/// Random); normals use the Marsaglia polar method in float64. The streams differ from torch's
/// generator: a seed reproduces Sbi.Onnx results, not PyTorch's.
/// </summary>
public static class RandomFill
{
    /// <summary>Fills <paramref name="dest"/> with i.i.d. N(0, 1).</summary>
    public static void StandardNormal(Random rng, Span<float> dest)
    {
        var g = new Xoshiro256(unchecked((ulong)rng.NextInt64()));
        int i = 0;
        while (i < dest.Length)
        {
            double u, v, s;
            do
            {
                u = 2 * g.NextDouble() - 1;
                v = 2 * g.NextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double f = Math.Sqrt(-2 * Math.Log(s) / s);
            dest[i++] = (float)(u * f);
            if (i < dest.Length) dest[i++] = (float)(v * f);
        }
    }

    /// <summary>Fills <paramref name="dest"/> with i.i.d. U[0, 1) on the float32 grid k·2⁻²⁴ (never 1).</summary>
    public static void Uniform(Random rng, Span<float> dest)
    {
        var g = new Xoshiro256(unchecked((ulong)rng.NextInt64()));
        for (int i = 0; i < dest.Length; i++) dest[i] = (g.Next() >> 40) * (1f / (1 << 24));
    }

    /// <summary>xoshiro256** (Blackman and Vigna), seeded through splitmix64.</summary>
    private struct Xoshiro256
    {
        private ulong _s0, _s1, _s2, _s3;

        public Xoshiro256(ulong seed)
        {
            _s0 = SplitMix(ref seed);
            _s1 = SplitMix(ref seed);
            _s2 = SplitMix(ref seed);
            _s3 = SplitMix(ref seed);
        }

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong Next()
        {
            ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }

        /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
