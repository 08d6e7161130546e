using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>One <c>AppendSimulations</c> call: its round, data (on the data device), prior mask (n, 1) and the proposal it was drawn from (null: the prior).</summary>
public sealed record SimulationBlock(int Round, Tensor Theta, Tensor X, Tensor PriorMask, IDensity? Proposal)
{
    /// <summary>Rows in the block.</summary>
    public long Count => Theta.shape[0];
}
