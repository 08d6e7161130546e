using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>nflows' <c>CompositeTransform</c>: applies its <c>_transforms</c> in order (forward) or reversed (inverse).</summary>
public sealed class CompositeTransform : Transform
{
    private readonly ModuleList<Transform> _transforms;

    /// <summary>Chains the given transforms; state-dict keys are <c>_transforms.{i}.*</c> as in nflows.</summary>
    public CompositeTransform(IEnumerable<Transform> transforms) : base(nameof(CompositeTransform))
    {
        _transforms = new ModuleList<Transform>(transforms.ToArray());
        register_module("_transforms", _transforms);
    }

    /// <summary>The chained transforms, in forward order.</summary>
    public IReadOnlyList<Transform> Transforms => _transforms.ToList();

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor LogAbsDet) Forward(Tensor inputs, Tensor? context = null)
    {
        var outputs = inputs;
        var total = zeros(inputs.shape[0], dtype: inputs.dtype, device: inputs.device);
        foreach (var t in _transforms)
        {
            var (o, ld) = t.Forward(outputs, context);
            outputs = o;
            total = total + ld;
        }
        return (outputs, total);
    }

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor LogAbsDet) Inverse(Tensor inputs, Tensor? context = null)
    {
        var outputs = inputs;
        var total = zeros(inputs.shape[0], dtype: inputs.dtype, device: inputs.device);
        for (int i = _transforms.Count - 1; i >= 0; i--)
        {
            var (o, ld) = _transforms[i].Inverse(outputs, context);
            outputs = o;
            total = total + ld;
        }
        return (outputs, total);
    }
}
