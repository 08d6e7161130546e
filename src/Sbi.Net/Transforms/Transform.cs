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

    /// <summary>
    /// Maps inputs (N, D) towards the base distribution; returns outputs (N, D) and log|det J| (N), or null for a
    /// volume-preserving map (saves building and adding a zero tensor in every call of small flows).
    /// </summary>
    public abstract (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null);

    /// <summary>The inverse map; returns outputs (N, D) and log|det J| of the inverse (N), or null when it is 0.</summary>
    public abstract (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null);
}
