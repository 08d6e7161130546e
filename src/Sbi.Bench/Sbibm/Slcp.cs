using Sbi.Distributions;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// sbibm's <c>slcp</c> (simple likelihood, complex posterior; sbibm/tasks/slcp/task.py without distractors):
/// θ ~ Uniform[−3, 3]⁵; four iid draws from the 2-D normal with mean (θ₀, θ₁), s₁ = θ₂², s₂ = θ₃², ρ = tanh θ₄ and
/// covariance [[s₁², ρ s₁ s₂], [ρ s₁ s₂, s₂²]] + 10⁻⁶·I, flattened draw by draw to 8 values (x₁₀, x₁₁, x₂₀, …).
/// The posterior has four symmetric modes (the signs of θ₂ and θ₃).
/// </summary>
public sealed class Slcp : SbibmTask
{
    /// <summary>Draws per simulation.</summary>
    public const int Draws = 4;

    /// <summary>The task with its prior Uniform[−3, 3]⁵.</summary>
    public Slcp() : base(new BoxUniform(Enumerable.Repeat(-3f, 5).ToArray(), Enumerable.Repeat(3f, 5).ToArray())) { }

    /// <inheritdoc/>
    public override string Name => "slcp";
    /// <inheritdoc/>
    public override int DimParameters => 5;
    /// <inheritdoc/>
    public override int DimData => 2 * Draws;

    /// <inheritdoc/>
    protected override Tensor SimulateCore(Tensor theta, Generator? generator)
    {
        long n = theta.shape[0];
        var z = randn([n, Draws, 2], ScalarType.Float32, generator: generator).to(ScalarType.Float64);
        // The covariance's Cholesky factor in float64: for |ρ| near 1 (tanh 3 = 0.995) the float32 Schur complement
        // s₂² + ε − (ρ s₁ s₂)² / (s₁² + ε) loses most of its digits.
        var t = theta.to(ScalarType.Float64);
        using Scalar eps = 1e-6;
        var s1 = t.select(1, 2).square();
        var s2 = t.select(1, 3).square();
        var rho = t.select(1, 4).tanh();
        var c00 = s1.square().add_(eps);
        var c11 = s2.square().add_(eps);
        var c01 = rho.mul(s1).mul_(s2);
        var l00 = c00.sqrt();
        var l10 = c01.div(l00);
        var l11 = c11.sub(l10.square()).sqrt_();
        var z0 = z.select(2, 0);
        var z1 = z.select(2, 1);
        var x0 = z0.mul(l00.unsqueeze(1)).add_(t.narrow(1, 0, 1));
        var x1 = z0.mul(l10.unsqueeze(1)).add_(z1.mul(l11.unsqueeze(1))).add_(t.narrow(1, 1, 1));
        return stack([x0, x1], 2).reshape(n, 2 * Draws).to(ScalarType.Float32);
    }
}
