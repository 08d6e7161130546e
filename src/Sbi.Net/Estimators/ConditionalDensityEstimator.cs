using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// sbi's <c>ConditionalDensityEstimator</c>: a trainable conditional density q(θ | x) with sbi's shape conventions.
/// Subclasses implement the paired-row log-density and sampling; this class does shape handling and checks.
/// </summary>
public abstract class ConditionalDensityEstimator : nn.Module
{
    /// <summary>Creates the module.</summary>
    protected ConditionalDensityEstimator(string name, EstimatorConfig config) : base(name)
    {
        Config = config;
    }

    /// <summary>Architecture description (kind, sizes, z-score modes).</summary>
    public EstimatorConfig Config { get; }

    /// <summary>θ dimension D.</summary>
    public int InputDim => Config.D;

    /// <summary>Event shape of one x.</summary>
    public long[] ConditionShape => Config.XShape;

    /// <summary>Device of the estimator's parameters and buffers.</summary>
    public Device Device => (parameters().FirstOrDefault() as Tensor ?? buffers().First()).device;

    /// <summary>log q(θ_i | x_i) for paired rows θ (N, D) and x (N, *x_shape); returns (N).</summary>
    public abstract Tensor LogProbPaired(Tensor theta, Tensor x);

    /// <summary>Draws S samples per condition for x (B, *x_shape); returns (S, B, D).</summary>
    public abstract Tensor Sample(long numSamples, Tensor x);

    /// <summary>
    /// x (B, *x_shape) through the estimator's embedding pipeline (z-scoring included): the context (B, C) its
    /// density is conditioned on, and what a <see cref="ITrainingKernel"/> takes. Estimators without a separate
    /// embedding stage leave it unimplemented.
    /// </summary>
    public virtual Tensor Embed(Tensor x) => throw new NotSupportedException($"{GetType().Name} does not expose its embedding of x.");

    /// <summary>
    /// sbi's <c>log_prob(input, condition)</c>: input (S, B, D) or (B, D) (then S = 1), condition (B, *x_shape);
    /// batch sizes must be equal or one of them 1 (broadcast). Returns (S, B).
    /// </summary>
    public Tensor LogProb(Tensor input, Tensor condition)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(condition);
        var xShape = ConditionShape;
        if (input.dim() == 2) input = input.unsqueeze(0);
        if (input.dim() != 3 || input.shape[2] != InputDim)
            throw new ArgumentException($"input must have shape (S, B, {InputDim}) or (B, {InputDim}); got {Guard.Shape(input)}.", nameof(input));
        if (condition.dim() != xShape.Length + 1 || !condition.shape[1..].SequenceEqual(xShape))
            throw new ArgumentException($"condition must have shape (B, {string.Join(", ", xShape)}); got {Guard.Shape(condition)}.", nameof(condition));
        long s = input.shape[0], bi = input.shape[1], bc = condition.shape[0];
        if (bi != bc && bi != 1 && bc != 1)
            throw new ArgumentException($"batch sizes of input ({bi}) and condition ({bc}) must be equal or one of them 1.", nameof(condition));
        long b = Math.Max(bi, bc);
        var theta = input.expand(s, b, InputDim).reshape(s * b, InputDim);
        var cond = condition.unsqueeze(0).expand(new[] { s, b }.Concat(xShape).ToArray()).reshape(new[] { s * b }.Concat(xShape).ToArray());
        return LogProbPaired(theta, cond).view(s, b);
    }

    /// <summary>sbi's <c>loss</c>: −log q(θ_i | x_i) for paired rows; returns (B).</summary>
    public Tensor Loss(Tensor input, Tensor condition) => -LogProbPaired(input, condition);

    /// <summary>Total number of trainable parameters.</summary>
    public long NumTrainableParameters => parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}
