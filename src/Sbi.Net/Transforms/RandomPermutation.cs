using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// nflows' <c>RandomPermutation</c>: forward y[:, k] = x[:, perm[k]], log-det 0. The permutation is a buffer
/// (<c>_permutation</c>, int64) drawn once at build time, so it must be transferred with the weights.
/// </summary>
public sealed class RandomPermutation : Transform
{
    private Tensor _permutation;

    /// <summary>Draws a random permutation of <paramref name="features"/> entries from the global generator.</summary>
    public RandomPermutation(int features) : this(randperm(features)) { }

    /// <summary>Uses the given permutation (int64, length D).</summary>
    public RandomPermutation(Tensor permutation) : base(nameof(RandomPermutation))
    {
        _permutation = permutation.to(ScalarType.Int64).detach().clone().DetachFromDisposeScope();
        register_buffer("_permutation", _permutation);
    }

    /// <summary>The permutation, int64 (D).</summary>
    public Tensor Permutation => _permutation;

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null)
        => (inputs.index_select(1, _permutation), null);

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null)
    {
        // Recomputed per call (one tiny op) so that weights loaded in place can never leave a stale inverse.
        var inverse = _permutation.argsort();
        return (inputs.index_select(1, inverse), null);
    }
}
