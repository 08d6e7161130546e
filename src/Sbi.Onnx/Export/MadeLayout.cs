using Sbi.Format;
namespace Sbi.Onnx.Export;

/// <summary>
/// Degree bookkeeping of one nflows MADE with sequential masks, used to prune the autoregressive
/// inverse. Hidden units are re-ordered by degree (stable), so the units of degree ≤ g form a prefix
/// <c>[0, End(g))</c> of every hidden layer. The output for input feature i (degree i+1) depends only on
/// hidden units of degree ≤ i, and those depend only on inputs 0..i−1 — so in pass i of the inverse only
/// the units of degree exactly i are new; all others were computed (with final values) in earlier passes.
/// The constructor checks that the stored masks really follow this rule, so folding W⊙M and dropping
/// the masked-out blocks is exact.
/// </summary>
internal sealed class MadeLayout
{
    /// <param name="features">Number of autoregressive inputs (D for MAF, D+1 for the made mixture).</param>
    /// <param name="hiddenDegrees">Degrees of the hidden units (identical in every hidden layer).</param>
    /// <param name="outputsPerFeature">Output multiplier (2 for MAF, 3K for the made mixture).</param>
    public MadeLayout(int features, long[] hiddenDegrees, int outputsPerFeature)
    {
        Features = features;
        H = hiddenDegrees.Length;
        OutputsPerFeature = outputsPerFeature;
        Order = Enumerable.Range(0, H).OrderBy(j => hiddenDegrees[j]).ThenBy(j => j).ToArray();
        SortedDegrees = Order.Select(j => hiddenDegrees[j]).ToArray();
        _end = new int[features + 1];
        for (int g = 0; g <= features; g++) _end[g] = SortedDegrees.Count(d => d <= g);
        if (SortedDegrees.Any(d => d < 0 || d >= features && features > 1))
            throw new ArgumentException($"MADE hidden degrees must lie in [0, {features - 1}]; got {string.Join(",", hiddenDegrees.Distinct())}.");
    }

    private readonly int[] _end;

    /// <summary>Number of autoregressive inputs.</summary>
    public int Features { get; }

    /// <summary>Hidden width.</summary>
    public int H { get; }

    /// <summary>Outputs per input feature.</summary>
    public int OutputsPerFeature { get; }

    /// <summary>Order[k] = original index of the k-th unit after sorting by degree.</summary>
    public int[] Order { get; }

    /// <summary>Degrees in sorted order.</summary>
    public long[] SortedDegrees { get; }

    /// <summary>Number of hidden units with degree ≤ g (a prefix in sorted order).</summary>
    public int End(int g) => g < 0 ? 0 : _end[Math.Min(g, Features)];

    /// <summary>Checks an input→hidden mask (H × features): M[j,i] = [deg_j ≥ i+1].</summary>
    public void CheckInputMask(float[] mask, string key) =>
        Check(mask, H, Features, (j, i) => SortedDegreeOf(j) >= i + 1, key);

    /// <summary>Checks a hidden→hidden mask (H × H): M[j,k] = [deg_j ≥ deg_k].</summary>
    public void CheckHiddenMask(float[] mask, string key) =>
        Check(mask, H, H, (j, k) => SortedDegreeOf(j) >= SortedDegreeOf(k), key);

    /// <summary>Checks a hidden→output mask ((features·m) × H): M[o,j] = [o / m + 1 &gt; deg_j].</summary>
    public void CheckOutputMask(float[] mask, string key) =>
        Check(mask, Features * OutputsPerFeature, H, (o, j) => o / OutputsPerFeature + 1 > SortedDegreeOf(j), key);

    private long[]? _degreeByOriginal;

    private long SortedDegreeOf(int original)
    {
        if (_degreeByOriginal == null)
        {
            _degreeByOriginal = new long[H];
            for (int k = 0; k < H; k++) _degreeByOriginal[Order[k]] = SortedDegrees[k];
        }
        return _degreeByOriginal[original];
    }

    private static void Check(float[] mask, int rows, int cols, Func<int, int, bool> rule, string key)
    {
        if (mask.Length != rows * cols)
            throw new ArgumentException($"Mask '{key}' has {mask.Length} entries, expected {rows}x{cols}.");
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                if ((mask[r * cols + c] != 0) != rule(r, c))
                    throw new ArgumentException($"Mask '{key}' is not the sequential MADE mask at [{r},{c}]; only nflows' sequential (non-random) masks can be exported.");
    }

    /// <summary>
    /// Masked weight W⊙M (PyTorch layout rows × cols) restricted to the given row and column index lists
    /// (original indices), returned row-major (rows.Count × cols.Count).
    /// </summary>
    public static float[] Block(float[] w, float[] mask, int cols, IReadOnlyList<int> rowIdx, IReadOnlyList<int> colIdx)
    {
        var r = new float[rowIdx.Count * colIdx.Count];
        for (int a = 0; a < rowIdx.Count; a++)
            for (int b = 0; b < colIdx.Count; b++)
            {
                int k = rowIdx[a] * cols + colIdx[b];
                r[a * colIdx.Count + b] = w[k] * mask[k];
            }
        return r;
    }

    /// <summary>Original indices of the sorted units [from, to).</summary>
    public int[] Units(int from, int to) => Order[from..to];
}
