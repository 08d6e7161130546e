using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>sbi's <c>Standardize</c>: (x − _mean) / _std with both statistics stored as buffers.</summary>
public sealed class Standardize : nn.Module<Tensor, Tensor>
{
    private Tensor _mean;
    private Tensor _std;

    /// <summary>Creates the layer from mean and standard deviation (shape (C) or 0-dim).</summary>
    public Standardize(Tensor mean, Tensor std) : base(nameof(Standardize))
    {
        _mean = mean.detach().clone().DetachFromDisposeScope();
        _std = std.detach().clone().DetachFromDisposeScope();
        register_buffer("_mean", _mean);
        register_buffer("_std", _std);
    }

    /// <summary>The stored mean.</summary>
    public Tensor Mean => _mean;

    /// <summary>The stored standard deviation.</summary>
    public Tensor Std => _std;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => (input - _mean) / _std;
}
