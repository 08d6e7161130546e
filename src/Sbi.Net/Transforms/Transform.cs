using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// An invertible map in nflows' convention: <see cref="Forward"/> goes from data to noise and, like every
/// nflows transform, returns the outputs together with log|det J| per row, in both directions.
/// </summary>
public abstract class Transform : nn.Module
{
    /// <summary>Creates the transform module with the given module name.</summary>
    protected Transform(string name) : base(name) { }

    /// <summary>Maps inputs (N, D) towards the base distribution; returns outputs (N, D) and log|det J| (N).</summary>
    public abstract (Tensor Outputs, Tensor LogAbsDet) Forward(Tensor inputs, Tensor? context = null);

    /// <summary>The inverse map; returns outputs (N, D) and log|det J| of the inverse (N).</summary>
    public abstract (Tensor Outputs, Tensor LogAbsDet) Inverse(Tensor inputs, Tensor? context = null);
}
