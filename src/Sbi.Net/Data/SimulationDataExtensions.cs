using Sbi.Distributions;
using Sbi.Inference;

namespace Sbi.Data;

/// <summary>Trainers fed from <see cref="SimulationData"/> (simulations loaded from Python-saved files).</summary>
public static class SimulationDataExtensions
{
    /// <summary>Appends the data set's θ and x (see <see cref="NpeB.AppendSimulations(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, IDensity?, bool?, string?)"/>).</summary>
    public static NpeB AppendSimulations(this NpeB trainer, SimulationData data, IDensity? proposal = null, bool? excludeInvalidX = null, string? dataDevice = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(data);
        return trainer.AppendSimulations(data.Theta, data.X, proposal, excludeInvalidX, dataDevice);
    }
}
