using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// sbibm's <c>gaussian_linear_uniform</c> (sbibm/tasks/gaussian_linear_uniform/task.py, dim 10): θ ~
/// Uniform[−1, 1]¹⁰ and x ~ N(θ, 0.1·I) (variance 0.1, as in <see cref="GaussianLinear"/>). The posterior is
/// N(x_o, 0.1·I) truncated to the box.
/// </summary>
public sealed class GaussianLinearUniform : SbibmTask
{
    /// <summary>The task with its prior Uniform[−1, 1]¹⁰.</summary>
    public GaussianLinearUniform() : base(new BoxUniform(Enumerable.Repeat(-1f, 10).ToArray(), Enumerable.Repeat(1f, 10).ToArray())) { }

    /// <inheritdoc/>
    public override string Name => "gaussian_linear_uniform";
    /// <inheritdoc/>
    public override int DimParameters => 10;
    /// <inheritdoc/>
    public override int DimData => 10;

    /// <inheritdoc/>
    protected override Tensor SimulateCore(Tensor theta, Generator? generator) => GaussianNoise.Add(theta, GaussianLinear.Variance, generator);
}
