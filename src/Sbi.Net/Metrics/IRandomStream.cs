namespace Sbi.Metrics;

/// <summary>
/// The random numbers the C2ST's fold split and MLP classifier consume: uniform doubles in [0, 1) for the
/// Glorot-uniform initialisation and in-place shuffles for the fold split and the per-epoch batch order. Two sources:
/// <see cref="SystemRandomStream"/> (the project's <see cref="C2st"/>) and <see cref="NumpyRandomState"/> (NumPy's
/// legacy <c>RandomState</c>, what scikit-learn draws from, for <see cref="SbibmC2st"/>).
/// </summary>
internal interface IRandomStream
{
    /// <summary>A uniform double in [0, 1).</summary>
    double NextDouble();

    /// <summary>Permutes <paramref name="a"/> in place (Fisher–Yates from the last element down).</summary>
    void Shuffle(long[] a);
}

/// <summary>
/// <see cref="IRandomStream"/> over <see cref="Random"/>: reproducible for a seed, not the numbers NumPy draws. The
/// stream <see cref="C2st"/> has always used.
/// </summary>
internal sealed class SystemRandomStream : IRandomStream
{
    private readonly Random _rng;

    /// <summary>A stream seeded with <paramref name="seed"/>.</summary>
    public SystemRandomStream(int seed) => _rng = new Random(seed);

    /// <inheritdoc/>
    public double NextDouble() => _rng.NextDouble();

    /// <inheritdoc/>
    public void Shuffle(long[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = _rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
