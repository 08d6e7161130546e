using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>One <c>AppendSimulations</c> call: its round, data, prior mask and the proposal it was drawn from.</summary>
internal sealed record SimulationBlock(int Round, Tensor Theta, Tensor X, Tensor PriorMask, IDensity? Proposal)
{
    public long Count => Theta.shape[0];
}
