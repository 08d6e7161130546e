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
    public override (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null)
        => Chain(inputs, context, Enumerable.Range(0, _transforms.Count), inverse: false);

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null)
        => Chain(inputs, context, Enumerable.Range(0, _transforms.Count).Reverse(), inverse: true);

    private (Tensor Outputs, Tensor? LogAbsDet) Chain(Tensor inputs, Tensor? context, IEnumerable<int> order, bool inverse)
    {
        // log-dets are summed once at the end: one stack + sum instead of an add per layer.
        var outputs = inputs;
        var terms = new List<Tensor>(_transforms.Count);
        foreach (int i in order)
        {
            var (o, ld) = inverse ? _transforms[i].Inverse(outputs, context) : _transforms[i].Forward(outputs, context);
            outputs = o;
            if (ld is not null) terms.Add(ld);
        }
        Tensor? total = terms.Count switch { 0 => null, 1 => terms[0], _ => stack(terms, 0).sum(dim: 0) };
        return (outputs, total);
    }
}
