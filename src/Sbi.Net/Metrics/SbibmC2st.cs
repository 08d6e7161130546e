using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Metrics;

/// <summary>
/// sbibm's C2ST (<c>sbibm.metrics.c2st</c>, sbi-benchmark/sbibm <c>sbibm/metrics/c2st.py</c>), the score of its
/// published tables: both samples z-scored with the first sample's mean and unbiased std (in float32, as sbibm does on
/// float32 tensors); scikit-learn's <c>MLPClassifier(activation="relu", hidden_layer_sizes=(10·D, 10·D),
/// max_iter=10000, solver="adam", random_state=seed)</c>; <c>KFold(n_splits=5, shuffle=True, random_state=seed)</c>;
/// <c>cross_val_score(scoring="accuracy")</c>; the mean over the folds as float32.
/// </summary>
/// <remarks>
/// <para>How it differs from <see cref="C2st"/> (the project's form, same classifier and protocol):</para>
/// <list type="bullet">
/// <item>random numbers: NumPy's legacy <c>RandomState(seed)</c> (<see cref="NumpyRandomState"/>), so the fold split,
/// the initial weights and every epoch's batch order are the ones scikit-learn draws for the seed; <see cref="C2st"/>
/// draws them from <see cref="Random"/> (same distributions, other rows and weights). Float32 rounding (MKL or
/// OpenBLAS against NumPy's BLAS) still lets the two trainings drift apart over thousands of Adam steps, so the scores
/// agree closely but not to the bit;</item>
/// <item>z-scoring: in float32 like sbibm (<see cref="C2st"/>: float64, then float32);</item>
/// <item>a constant column of the first sample: sbibm divides by its std 0 and scikit-learn refuses the NaN input;
/// this form throws an <see cref="ArgumentException"/> naming the column (<see cref="C2st"/> divides by 1 instead);</item>
/// <item>no <c>zScore</c> or <c>maxIter</c> knobs: sbibm's values (true, 10,000) always.</item>
/// </list>
/// <para>sbibm calls it as <c>c2st(reference_samples, algorithm_samples)</c>: pass the reference posterior samples
/// first. Cost as <see cref="C2st"/> (set one torch thread on small or shared machines).</para>
/// </remarks>
public static class SbibmC2st
{
    /// <summary>sbibm's number of folds.</summary>
    public const int Folds = 5;

    /// <summary>sbibm's (scikit-learn's) epoch cap per fold.</summary>
    public const int MaxIter = 10_000;

    /// <summary>
    /// sbibm's <c>c2st(X, Y, seed)</c>: the mean 5-fold cross-validated accuracy of telling <paramref name="X"/> (the
    /// reference sample, label 0) from <paramref name="Y"/> (label 1); 0.5 is indistinguishable, 1 separable.
    /// </summary>
    /// <param name="X">Reference sample (n_x, D), floating point, finite, at least 5 rows, no constant column.</param>
    /// <param name="Y">Sample to score (n_y, D), same D.</param>
    /// <param name="seed">scikit-learn's <c>random_state</c> of the split and the classifiers (sbibm: 1); 0 to 2³² − 1 as NumPy takes it.</param>
    /// <returns>The accuracy, rounded to float32 as sbibm returns it.</returns>
    /// <exception cref="ArgumentException">Shapes, values or the seed are invalid, or a column of X is constant.</exception>
    public static double Score(Tensor X, Tensor Y, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(X);
        ArgumentNullException.ThrowIfNull(Y);
        if (seed < 0)
            throw new ArgumentOutOfRangeException(nameof(seed), seed, "seed must be between 0 and 2^32 - 1 (NumPy's RandomState seeds).");
        C2st.Validate(X, nameof(X), Folds);
        C2st.Validate(Y, nameof(Y), Folds);
        if (X.shape[1] != Y.shape[1])
            throw new ArgumentException(
                $"X and Y must have the same number of columns: X has {X.shape[1]}, Y has {Y.shape[1]}.", nameof(Y));

        using var scope = NewDisposeScope();
        var x = X.detach().to(ScalarType.Float32);
        var y = Y.detach().to(ScalarType.Float32, x.device);
        // sbibm: X_mean = torch.mean(X, dim=0); X_std = torch.std(X, dim=0) (unbiased); both samples standardised by them.
        var mean = x.mean([0L]);
        var std = x.std(0, unbiased: true);
        var constant = std.eq(Scalars.Of(0)).nonzero();
        if (constant.shape[0] > 0)
            throw new ArgumentException(
                $"X's column {constant[0, 0].item<long>()} is constant (std 0): sbibm's z-scoring would divide by 0 and scikit-learn refuses the NaN it makes.",
                nameof(X));
        x = (x - mean) / std;
        y = (y - mean) / std;
        return C2st.CrossValidatedAccuracy(x, y, seed, Folds, MaxIter, s => new NumpyRandomState(s));
    }
}
