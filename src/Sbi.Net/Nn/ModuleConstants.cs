using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// Constant tensors of a module that are not part of its state dict (index maps, 0/1 matrices). They cannot be plain
/// <c>Tensor</c> fields: TorchSharp registers those as persistent buffers when the module becomes a child (so they would
/// appear among sbi's keys), and it does not convert non-persistent buffers in <c>Module.to</c>. A module keeps them in one
/// of these holders and calls <see cref="To"/> from its <c>_toEpilog</c> override.
/// </summary>
internal sealed class ModuleConstants
{
    private readonly Dictionary<string, Tensor> _tensors = new();

    /// <summary>Stores a constant (kept out of dispose scopes) and returns it.</summary>
    public Tensor Add(string name, Tensor t)
    {
        var kept = t.DetachFromDisposeScope();
        _tensors[name] = kept;
        return kept;
    }

    /// <summary>The constant of that name.</summary>
    public Tensor this[string name] => _tensors[name];

    /// <summary>Moves every constant to <paramref name="device"/> (when given) and converts floating-point ones to <paramref name="dtype"/> (when given).</summary>
    public void To(ScalarType? dtype, Device? device)
    {
        foreach (var name in _tensors.Keys.ToList())
        {
            var t = _tensors[name];
            var targetType = dtype is { } d && t.is_floating_point() ? d : t.dtype;
            var targetDevice = device ?? t.device;
            if (targetType == t.dtype && targetDevice.type == t.device.type && targetDevice.index == t.device.index) continue;
            _tensors[name] = t.to(targetType, targetDevice).DetachFromDisposeScope();
            t.Dispose();
        }
    }
}
