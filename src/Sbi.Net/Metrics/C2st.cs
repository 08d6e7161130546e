using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Metrics;

/// <summary>
/// Classifier two-sample test (C2ST) as defined by sbibm (<c>sbibm.metrics.c2st</c>): the mean
/// K-fold cross-validated accuracy of an MLP trained to tell samples of <c>X</c> (label 0) from samples
/// of <c>Y</c> (label 1). 0.5 means indistinguishable, 1.0 means perfectly separable.
/// </summary>
/// <remarks>
/// Follows sbibm exactly in structure: optional z-scoring of both samples with X's mean and unbiased
/// standard deviation; a scikit-learn-style <c>MLPClassifier(activation="relu",
/// hidden_layer_sizes=(10·D, 10·D), max_iter=10000, solver="adam", random_state=seed)</c> (see
/// <see cref="MlpClassifier"/> for the reproduced training semantics); <c>KFold(n_folds, shuffle=True,
/// random_state=seed)</c> over the concatenated rows; accuracy scoring; the mean over folds returned at
/// float32 precision. Every fold's classifier starts from the same seed, as scikit-learn's
/// <c>cross_val_score</c> clones the estimator with its integer <c>random_state</c>.
/// Random streams come from <see cref="Random"/> seeded with <c>seed</c>, so results are reproducible
/// but are not bit-identical to NumPy's; the global torch RNG is not touched. <see cref="SbibmC2st"/> is the form
/// with NumPy's streams, float32 z-scoring and no constant-column guard, for scores comparable with sbibm's own.
/// <para>Cost: training stops by scikit-learn's loss-plateau rule, typically after a few hundred epochs
/// per fold (more for small, indistinguishable samples, which the MLP overfits slowly). The networks are
/// small, so call <c>torch.set_num_threads(1)</c> first on machines with few or shared cores: with two
/// intra-op threads on two busy cores each step was observed to become 10–100 times slower. This method
/// does not change the thread setting itself.</para>
/// </remarks>
public static class C2st
{
    /// <summary>
    /// Computes the C2ST accuracy between samples <paramref name="X"/> and <paramref name="Y"/>.
    /// </summary>
    /// <param name="X">First sample, shape (n_x, D), floating point, finite.</param>
    /// <param name="Y">Second sample, shape (n_y, D), floating point, finite; n_y may differ from n_x.</param>
    /// <param name="seed">Seed of the fold split and of the classifier (sbibm default 1).</param>
    /// <param name="nFolds">Number of cross-validation folds (sbibm default 5); each sample needs at least this many rows.</param>
    /// <param name="zScore">Standardise both samples with X's mean and unbiased std first (sbibm default true).
    /// A column whose std is 0 is divided by 1 instead, a deliberate guard against NaN that sbibm lacks.</param>
    /// <param name="maxIter">Maximum training epochs per fold (sbibm: 10000).</param>
    /// <returns>Mean cross-validated accuracy in [0, 1], rounded to float32 as sbibm returns it.</returns>
    /// <exception cref="ArgumentException">Shapes, sizes or values are invalid.</exception>
    public static double Score(Tensor X, Tensor Y, int seed = 1, int nFolds = 5, bool zScore = true, int maxIter = 10000)
    {
        ArgumentNullException.ThrowIfNull(X);
        ArgumentNullException.ThrowIfNull(Y);
        if (nFolds < 2)
            throw new ArgumentException($"nFolds must be at least 2, got {nFolds}.", nameof(nFolds));
        if (maxIter < 1)
            throw new ArgumentException($"maxIter must be at least 1, got {maxIter}.", nameof(maxIter));
        Validate(X, nameof(X), nFolds);
        Validate(Y, nameof(Y), nFolds);
        if (X.shape[1] != Y.shape[1])
            throw new ArgumentException(
                $"X and Y must have the same number of columns: X has {X.shape[1]}, Y has {Y.shape[1]}.", nameof(Y));

        using var scope = NewDisposeScope();
        var device = X.device;
        var x = X.detach().to(ScalarType.Float64);
        var y = Y.detach().to(ScalarType.Float64, device);
        if (zScore)
        {
            var mean = x.mean([0L]);
            var std = x.std(0, unbiased: true);
            std = where(std.eq(Scalars.Of(0)), ones_like(std), std);   // deliberate guard: constant column -> divide by 1
            x = (x - mean) / std;
            y = (y - mean) / std;
        }

        return CrossValidatedAccuracy(x.to(ScalarType.Float32), y.to(ScalarType.Float32), seed, nFolds, maxIter, s => new SystemRandomStream(s));
    }

    /// <summary>
    /// The cross-validated part both C2ST forms share: X's rows labelled 0 and Y's rows 1, concatenated in that order,
    /// split by <see cref="KFold"/> (one shuffle from <c>streams(seed)</c>), one <see cref="MlpClassifier"/> with two
    /// hidden layers of 10·D units per fold (each fold's classifier from a fresh <c>streams(seed)</c>, as
    /// <c>cross_val_score</c> clones an estimator with an integer <c>random_state</c>), accuracy on the held-out rows,
    /// the mean over the folds rounded to float32 (sbibm's <c>np.mean(scores).astype(np.float32)</c>).
    /// </summary>
    /// <param name="x">First sample (n_x, D), float32, already z-scored as the form wants.</param>
    /// <param name="y">Second sample (n_y, D), float32, on x's device.</param>
    /// <param name="seed">The split's and every classifier's seed.</param>
    /// <param name="nFolds">Number of folds.</param>
    /// <param name="maxIter">Epoch cap per fold.</param>
    /// <param name="streams">The random stream for a seed.</param>
    internal static double CrossValidatedAccuracy(Tensor x, Tensor y, int seed, int nFolds, int maxIter, Func<int, IRandomStream> streams)
    {
        using var scope = NewDisposeScope();
        var device = x.device;
        int nx = (int)x.shape[0], ny = (int)y.shape[0], ndim = (int)x.shape[1];
        var data = cat([x, y], 0);
        var target = cat([zeros(nx, dtype: ScalarType.Float32, device: device),
                          ones(ny, dtype: ScalarType.Float32, device: device)], 0);

        double accSum = 0;
        foreach (var (trainIdx, testIdx) in KFold.Split(nx + ny, nFolds, streams(seed)))
        {
            using var foldScope = NewDisposeScope();
            var tr = tensor(trainIdx, device: device);
            var te = tensor(testIdx, device: device);
            using var clf = new MlpClassifier([10 * ndim, 10 * ndim], seed) { MaxIter = maxIter, Streams = streams };
            clf.Fit(data.index_select(0, tr), target.index_select(0, tr));
            var pred = clf.Predict(data.index_select(0, te));
            var correct = pred.eq(target.index_select(0, te).gt(Scalars.Of(0.5)));
            accSum += correct.to(ScalarType.Float64).mean().item<double>();
        }
        return (float)(accSum / nFolds);
    }

    /// <summary>Computes the C2ST accuracy between two samples given as (n, D) arrays; see <see cref="Score(Tensor, Tensor, int, int, bool, int)"/>.</summary>
    public static double Score(float[,] X, float[,] Y, int seed = 1, int nFolds = 5, bool zScore = true, int maxIter = 10000)
    {
        ArgumentNullException.ThrowIfNull(X);
        ArgumentNullException.ThrowIfNull(Y);
        using var x = tensor(X);
        using var y = tensor(Y);
        return Score(x, y, seed, nFolds, zScore, maxIter);
    }

    /// <summary>Computes the C2ST accuracy between two samples given as arrays of rows of equal length; see <see cref="Score(Tensor, Tensor, int, int, bool, int)"/>.</summary>
    public static double Score(float[][] X, float[][] Y, int seed = 1, int nFolds = 5, bool zScore = true, int maxIter = 10000)
    {
        return Score(ToMatrix(X, nameof(X)), ToMatrix(Y, nameof(Y)), seed, nFolds, zScore, maxIter);
    }

    private static float[,] ToMatrix(float[][] rows, string name)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        int n = rows.Length;
        int d = n == 0 ? 0 : (rows[0] ?? throw new ArgumentException($"{name}[0] is null.", name)).Length;
        var m = new float[n, d];
        for (int i = 0; i < n; i++)
        {
            var r = rows[i] ?? throw new ArgumentException($"{name}[{i}] is null.", name);
            if (r.Length != d)
                throw new ArgumentException($"{name} must be rectangular: row 0 has {d} values, row {i} has {r.Length}.", name);
            for (int j = 0; j < d; j++) m[i, j] = r[j];
        }
        return m;
    }

    internal static void Validate(Tensor t, string name, int nFolds)
    {
        if (t.dim() != 2)
            throw new ArgumentException(
                $"{name} must be a 2-D (n, D) tensor, got {t.dim()} dimension(s) with shape [{string.Join(", ", t.shape)}].", name);
        if (!t.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {t.dtype}.", name);
        if (t.shape[1] < 1)
            throw new ArgumentException($"{name} must have at least 1 column, got shape [{t.shape[0]}, {t.shape[1]}].", name);
        if (t.shape[0] < nFolds)
            throw new ArgumentException(
                $"{name} must have at least nFolds = {nFolds} rows, got {t.shape[0]}.", name);
        using var scope = NewDisposeScope();
        if (!isfinite(t).all().item<bool>())
        {
            long bad = (~isfinite(t)).sum().item<long>();
            throw new ArgumentException($"{name} must contain only finite values, found {bad} NaN or infinite value(s).", name);
        }
    }
}
