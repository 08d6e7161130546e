namespace Sbi.Metrics;

/// <summary>
/// Shuffled K-fold splitter with scikit-learn's <c>KFold(n_splits, shuffle=True, random_state=seed)</c>
/// fold layout: the row indices are permuted once, then cut into <c>k</c> consecutive test folds whose
/// sizes are <c>n / k</c>, the first <c>n % k</c> folds getting one extra row. The permutation comes from
/// <see cref="System.Random"/> (Fisher–Yates), so the folds are reproducible for a seed but are not the
/// same rows NumPy's Mersenne Twister would pick.
/// </summary>
internal static class KFold
{
    /// <summary>Returns, for each of the <paramref name="k"/> folds, its train and test row indices.</summary>
    /// <param name="n">Number of rows; must be at least <paramref name="k"/>.</param>
    /// <param name="k">Number of folds; at least 2.</param>
    /// <param name="seed">Seed of the shuffling permutation.</param>
    public static (long[] Train, long[] Test)[] Split(int n, int k, int seed)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "KFold needs at least 2 folds.");
        if (n < k) throw new ArgumentOutOfRangeException(nameof(n), n, $"KFold with {k} folds needs at least {k} rows.");

        var perm = new long[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Shuffle(perm, new Random(seed));

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

    /// <summary>In-place Fisher–Yates shuffle driven by <paramref name="rng"/>.</summary>
    public static void Shuffle(long[] a, Random rng)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
