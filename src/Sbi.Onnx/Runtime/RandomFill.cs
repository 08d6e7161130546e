namespace Sbi.Onnx.Runtime;

/// <summary>
/// Fills buffers with standard-normal and uniform float32 draws from a <see cref="System.Random"/>.
/// Streams differ from torch's generator: a seed reproduces Sbi.Onnx results, not PyTorch's.
/// Normals use the Marsaglia polar method (two normals per accepted pair).
/// </summary>
public static class RandomFill
{
    /// <summary>Fills <paramref name="dest"/> with i.i.d. N(0, 1).</summary>
    public static void StandardNormal(Random rng, Span<float> dest)
    {
        int i = 0;
        while (i < dest.Length)
        {
            double u, v, s;
            do
            {
                u = 2 * rng.NextDouble() - 1;
                v = 2 * rng.NextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double f = Math.Sqrt(-2 * Math.Log(s) / s);
            dest[i++] = (float)(u * f);
            if (i < dest.Length) dest[i++] = (float)(v * f);
        }
    }

    /// <summary>Fills <paramref name="dest"/> with i.i.d. U[0, 1) (float32, never 1).</summary>
    public static void Uniform(Random rng, Span<float> dest)
    {
        for (int i = 0; i < dest.Length; i++)
        {
            float f = (float)rng.NextDouble();
            dest[i] = f < 1f ? f : 0.99999994f; // rounding of doubles just below 1 would give exactly 1
        }
    }
}
