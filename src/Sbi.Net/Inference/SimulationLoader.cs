using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// The data-loader equivalent of sbi's training/validation loaders: every pass visits the given row indices in a
/// fresh random order (global generator) and yields only full batches (drop_last), gathering each batch with one
/// index_select per tensor and moving it to the training device.
/// </summary>
public sealed class SimulationLoader
{
    private readonly Tensor _theta, _x, _masks, _indices;
    private readonly Device _device;

    internal SimulationLoader(Tensor theta, Tensor x, Tensor masks, Tensor indices, long batchSize, Device device)
    {
        _theta = theta;
        _x = x;
        _masks = masks;
        _indices = indices;
        BatchSize = batchSize;
        _device = device;
    }

    /// <summary>Rows per batch.</summary>
    public long BatchSize { get; }

    /// <summary>Rows the loader draws from.</summary>
    public long Rows => _indices.shape[0];

    /// <summary>Number of full batches per pass.</summary>
    public long Count => Rows / BatchSize;

    /// <summary>The row indices (into the stored simulations) this loader draws from.</summary>
    public Tensor Indices => _indices;

    /// <summary>
    /// Gives each pass's order of absolute row indices, e.g. replayed from another run
    /// (<see cref="BatchSchedule"/>); null, or a null result, means the usual random permutation.
    /// </summary>
    internal Func<Tensor?>? OrderSource { get; set; }

    /// <summary>
    /// One pass in random order: (θ, x, prior mask) per batch, on the training device. Tensors belong to the
    /// caller's dispose scope.
    /// </summary>
    public IEnumerable<(Tensor Theta, Tensor X, Tensor Mask)> Batches()
        => IndexedBatches().Select(b => (b.Theta, b.X, b.Mask));

    /// <summary><see cref="Batches"/> with the row indices of each batch (into the stored simulations).</summary>
    public IEnumerable<(Tensor Theta, Tensor X, Tensor Mask, Tensor Index)> IndexedBatches()
    {
        var order = OrderSource?.Invoke() ?? _indices.index_select(0, randperm(Rows, device: _indices.device));
        for (long b = 0; b < Count; b++)
        {
            var idx = order.narrow(0, b * BatchSize, BatchSize);
            yield return (Gather(_theta, idx), Gather(_x, idx), Gather(_masks, idx), idx);
        }
    }

    /// <summary>Gathers rows of a per-row tensor (same row order as the stored simulations) onto the training device.</summary>
    public Tensor Gather(Tensor source, Tensor idx)
    {
        var rows = source.index_select(0, idx.device == source.device ? idx : idx.to(source.device));
        return rows.device == _device ? rows : rows.to(_device);
    }
}
