using Sbi.Estimators;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Onnx.Tests.Custom;

/// <summary>
/// A user's own estimator family, written only against public API: q(θ | x) = N(μ(x), diag σ(x)²) with
/// h = tanh(W₀ x + b₀), μ = W_μ h + b_μ, log σ = W_σ h + b_σ. No z-scoring (the family says so in <see cref="Configure"/>).
/// </summary>
public sealed class ConditionalGaussianFamily : IEstimatorFamily
{
    public const string FamilyName = "conditional_gaussian";

    public string Name => FamilyName;

    public EstimatorConfig Configure(EstimatorConfig requested) => requested with { ZScoreTheta = ZScoreMode.None, ZScoreX = ZScoreMode.None };

    public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding) =>
        new ConditionalGaussian(config, embedding);

    public EstimatorConfig? InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        if (!stateDict.TryGetValue("hidden.weight", out var w0) || !stateDict.TryGetValue("log_std.weight", out var ws)) return null;
        return new EstimatorConfig
        {
            Estimator = FamilyName, D = (int)ws.shape[0], C = (int)w0.shape[1], XShape = new[] { w0.shape[1] },
            HiddenFeatures = (int)w0.shape[0], ZScoreTheta = ZScoreMode.None, ZScoreX = ZScoreMode.None,
        };
    }
}

/// <summary>The estimator of <see cref="ConditionalGaussianFamily"/>.</summary>
public sealed class ConditionalGaussian : ConditionalDensityEstimator
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
    private readonly nn.Module<Tensor, Tensor> _embedding_net;
    private readonly Linear hidden, mean, log_std;

    public ConditionalGaussian(EstimatorConfig config, nn.Module<Tensor, Tensor> embedding) : base(nameof(ConditionalGaussian), config)
    {
        _embedding_net = embedding;
        hidden = nn.Linear(config.C, config.HiddenFeatures);
        mean = nn.Linear(config.HiddenFeatures, config.D);
        log_std = nn.Linear(config.HiddenFeatures, config.D);
        RegisterComponents();
    }

    public override Tensor Embed(Tensor x) => _embedding_net.forward(x);

    private (Tensor Mu, Tensor LogStd) Parameters(Tensor x)
    {
        var h = tanh(hidden.forward(Embed(x)));
        return (mean.forward(h), log_std.forward(h));
    }

    public override Tensor LogProbPaired(Tensor theta, Tensor x)
    {
        var (mu, ls) = Parameters(x);
        var z = (theta - mu) / ls.exp();
        return (-0.5 * z.square() - ls - HalfLog2Pi).sum(1);
    }

    public override Tensor Sample(long numSamples, Tensor x)
    {
        var (mu, ls) = Parameters(x);   // (B, D)
        var noise = randn(numSamples, x.shape[0], Config.D, device: mu.device);
        return mu.unsqueeze(0) + ls.exp().unsqueeze(0) * noise;
    }
}
