using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>The base ("noise") distribution of a flow, possibly conditioned on the embedded context.</summary>
public abstract class BaseDistribution : nn.Module
{
    /// <summary>Creates the module with the given name.</summary>
    protected BaseDistribution(string name) : base(name) { }

    /// <summary>Log-density of z (N, D) given the embedded context (N, C) or null; returns (N).</summary>
    public abstract Tensor LogProb(Tensor z, Tensor? context);

    /// <summary>Draws noise for every context row: (B·S, D), condition-major (row b·S + s belongs to context b).</summary>
    public abstract Tensor Sample(long numSamples, Tensor context);
}
