namespace Sbi.Metrics;

/// <summary>
/// Shuffled K-fold splitter with scikit-learn's <c>KFold(n_splits, shuffle=True, random_state=seed)</c>
/// fold layout: the row indices are permuted once, then cut into <c>k</c> consecutive test folds whose
/// sizes are <c>n / k</c>, the first <c>n % k</c> folds getting one extra row. The permutation comes from an
/// <see cref="IRandomStream"/>: <see cref="System.Random"/> by default (reproducible for a seed, not the rows NumPy
/// would pick), or <see cref="NumpyRandomState"/>, which picks exactly the rows scikit-learn picks for a seed.
/// </summary>
internal static class KFold
{
    /// <summary>Returns, for each of the <paramref name="k"/> folds, its train and test row indices.</summary>
    /// <param name="n">Number of rows; must be at least <paramref name="k"/>.</param>
    /// <param name="k">Number of folds; at least 2.</param>
    /// <param name="seed">Seed of the shuffling permutation.</param>
    public static (long[] Train, long[] Test)[] Split(int n, int k, int seed) => Split(n, k, new SystemRandomStream(seed));

    /// <summary>Returns, for each of the <paramref name="k"/> folds, its train and test row indices, the permutation drawn from <paramref name="rng"/>.</summary>
    /// <param name="n">Number of rows; must be at least <paramref name="k"/>.</param>
    /// <param name="k">Number of folds; at least 2.</param>
    /// <param name="rng">The stream of the one shuffle (scikit-learn: <c>check_random_state(random_state).shuffle(indices)</c>).</param>
    public static (long[] Train, long[] Test)[] Split(int n, int k, IRandomStream rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "KFold needs at least 2 folds.");
        if (n < k) throw new ArgumentOutOfRangeException(nameof(n), n, $"KFold with {k} folds needs at least {k} rows.");

        var perm = new long[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        rng.Shuffle(perm);

        var folds = new (long[], long[])[k];
        int start = 0;
        for (int f = 0; f < k; f++)
        {
            int size = n / k + (f < n % k ? 1 : 0);
            var test = perm.AsSpan(start, size).ToArray();
            var train = new long[n - size];
            perm.AsSpan(0, start).CopyTo(train);
            perm.AsSpan(start + size).CopyTo(train.AsSpan(start));
            // scikit-learn yields both index sets in ascending row order.
            Array.Sort(test);
            Array.Sort(train);
            folds[f] = (train, test);
            start += size;
        }
        return folds;
    }
}
