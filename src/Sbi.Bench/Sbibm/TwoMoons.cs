using Sbi.Distributions;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// sbibm's <c>two_moons</c> (sbibm/tasks/two_moons/task.py): θ ~ Uniform[−1, 1]²; a ~ U(−π/2, π/2), r ~ N(0.1,
/// 0.01²), p = (r cos a + 0.25, r sin a); with c = cos(−π/4), s = sin(−π/4), z₀ = c θ₀ − s θ₁ and z₁ = s θ₀ + c θ₁,
/// x = p + (−|z₀|, z₁) (its <c>_map_fun</c>). The posterior is bimodal (the |z₀|) and crescent-shaped (the ring p).
/// </summary>
public sealed class TwoMoons : SbibmTask
{
    /// <summary>The task with its prior Uniform[−1, 1]².</summary>
    public TwoMoons() : base(new BoxUniform([-1f, -1f], [1f, 1f])) { }

    /// <inheritdoc/>
    public override string Name => "two_moons";
    /// <inheritdoc/>
    public override int DimParameters => 2;
    /// <inheritdoc/>
    public override int DimData => 2;

    /// <inheritdoc/>
    protected override Tensor SimulateCore(Tensor theta, Generator? generator)
    {
        long n = theta.shape[0];
        // sbibm draws a (n, 1) first, then r (n, 1).
        var u = rand([n, 1], ScalarType.Float32, generator: generator);
        var e = randn([n, 1], ScalarType.Float32, generator: generator);
        using Scalar pi = Math.PI, halfPi = Math.PI / 2, rScale = 0.01, rLoc = 0.1, offset = 0.25;
        var a = u.mul(pi).sub_(halfPi);
        var r = e.mul(rScale).add_(rLoc);
        var p0 = a.cos().mul_(r).add_(offset);
        var p1 = a.sin().mul_(r);
        using Scalar c = Math.Cos(-Math.PI / 4), s = Math.Sin(-Math.PI / 4);
        var t0 = theta.narrow(1, 0, 1);
        var t1 = theta.narrow(1, 1, 1);
        var z0 = t0.mul(c).sub_(t1.mul(s));
        var z1 = t0.mul(s).add_(t1.mul(c));
        return cat([p0.sub_(z0.abs()), p1.add_(z1)], 1);
    }
}
