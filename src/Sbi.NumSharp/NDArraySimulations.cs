using NumSharp;
using Sbi.Data;
using Sbi.Distributions;
using Sbi.Inference;
using static TorchSharp.torch;

namespace Sbi.NumSharp;

/// <summary>Simulations held as NumSharp arrays, into the core's <see cref="SimulationData"/> and trainers.</summary>
/// <remarks>
/// Both take float32 or float64 arrays in C or Fortran order (any other dtype is refused naming the argument) and hand
/// them to the core as tensors that share the arrays' buffers (<see cref="NDArrayTensors"/>); the core copies what it
/// keeps, so the arrays may be changed or disposed afterwards. Every other check is the core's, with its messages:
/// <see cref="SimulationData.FromTensors"/> (2-D, rows, columns; NaN/±inf x rows counted) and
/// <see cref="NpeB.AppendSimulations(Tensor, Tensor, IDensity?, bool?, string?)"/> (row counts, NaN/±inf θ refused,
/// invalid x rows dropped or kept).
/// </remarks>
public static class NDArraySimulations
{
    extension(SimulationData)
    {
        /// <summary>
        /// A data set of θ (N, D) and x (N, C) from two arrays: float32 copies owned by the result, validated as
        /// <see cref="SimulationData.FromTensors"/> does (float64 is cast to float32).
        /// </summary>
        /// <param name="theta">Parameters, float32 or float64, (N, D).</param>
        /// <param name="x">Simulation outputs, float32 or float64, (N, C).</param>
        /// <exception cref="ArgumentException">a dtype, a shape or the row counts are not acceptable.</exception>
        public static SimulationData FromNDArrays(NDArray theta, NDArray x)
        {
            DTypes.Torch(theta, nameof(theta));
            DTypes.Torch(x, nameof(x));
            // No dispose scope here: FromTensors hands its own tensors to the caller's scope, as for tensor input.
            using var t = NDArrayTensors.ToTensor(theta, nameof(theta));
            using var xs = NDArrayTensors.ToTensor(x, nameof(x));
            return SimulationData.FromTensors(t, xs);
        }
    }

    /// <summary>
    /// Appends simulations held as arrays; the parameters are <see cref="NpeB.AppendSimulations(Tensor, Tensor, IDensity?, bool?, string?)"/>'s.
    /// </summary>
    /// <param name="npe">The trainer.</param>
    /// <param name="theta">Parameters, float32 or float64, (n, D).</param>
    /// <param name="x">Simulation outputs, float32 or float64, (n, *x_shape).</param>
    /// <param name="proposal">The distribution θ was drawn from: null or the prior for round 0, else the previous round's posterior.</param>
    /// <param name="excludeInvalidX">Drop x rows with NaN/±inf (default: true in round 0, false later).</param>
    /// <param name="dataDevice">Where the simulations are stored (default: the trainer's device).</param>
    /// <returns><paramref name="npe"/>, for <c>.Train()</c>.</returns>
    /// <exception cref="ArgumentException">a dtype is not float32 or float64, or the core refuses the data.</exception>
    public static NpeB AppendSimulations(this NpeB npe, NDArray theta, NDArray x, IDensity? proposal = null, bool? excludeInvalidX = null,
                                         string? dataDevice = null)
    {
        ArgumentNullException.ThrowIfNull(npe);
        DTypes.Torch(theta, nameof(theta));
        DTypes.Torch(x, nameof(x));
        using var scope = NewDisposeScope();
        return npe.AppendSimulations(NDArrayTensors.ToTensor(theta, nameof(theta)), NDArrayTensors.ToTensor(x, nameof(x)),
                                     proposal, excludeInvalidX, dataDevice);
    }
}
