using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>sbi's <c>NFlowsFlow</c>: wraps an nflows-style <see cref="Flow"/> in attribute <c>net</c> (MAF, NSF, MADE mixture).</summary>
public sealed class FlowEstimator : ConditionalDensityEstimator
{
    private readonly Flow net;

    /// <summary>Wraps the flow.</summary>
    public FlowEstimator(Flow flow, EstimatorConfig config) : base(nameof(FlowEstimator), config)
    {
        net = flow;
        register_module("net", net);
    }

    /// <summary>The wrapped flow.</summary>
    public Flow Net => net;

    /// <inheritdoc/>
    public override Tensor LogProbPaired(Tensor theta, Tensor x) => net.LogProbEmbedded(theta, net.Embed(x));

    /// <inheritdoc/>
    public override Tensor Embed(Tensor x) => net.Embed(x);

    /// <inheritdoc/>
    public override Tensor Sample(long numSamples, Tensor x) => net.Sample(numSamples, x).transpose(0, 1);

    /// <summary>Maps given base noise (B, S, D) to samples (B, S, D) for conditions x (B, *x_shape) (flows with a standard-normal base).</summary>
    public Tensor SampleFromNoise(Tensor noise, Tensor x) => net.SampleFromNoise(noise, x);
}
