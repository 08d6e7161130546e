namespace Sbi.Samplers;

/// <summary>
/// The Hamiltonian of a target with a diagonal Euclidean metric (Stan's <c>diag_e_metric</c>):
/// H(q, p) = −log p̃(q) + ½ Σᵢ M⁻¹ᵢ pᵢ², momenta p ~ N(0, M), and the leapfrog integrator
/// p ← p + (ε/2)∇log p̃(q), q ← q + ε M⁻¹p, p ← p + (ε/2)∇log p̃(q) with one target evaluation per step.
/// The inverse mass diagonal is shared with the kernel's adaptation, which rewrites it between transitions.
/// </summary>
internal sealed class Hamiltonian
{
    private readonly IMcmcTarget _target;
    private readonly double[] _logDensity = new double[1];

    public Hamiltonian(IMcmcTarget target, double[] inverseMass)
    {
        _target = target;
        InverseMass = inverseMass;
    }

    /// <summary>M⁻¹ diagonal (the marginal variances after adaptation).</summary>
    public double[] InverseMass { get; }

    public int Dim => InverseMass.Length;

    /// <summary>Evaluates log p̃ and its gradient at z.Q into z (non-finite log densities become −∞).</summary>
    public void Evaluate(PhasePoint z)
    {
        _target.LogDensityAndGradient(z.Q, 1, _logDensity, z.Gradient);
        double lp = _logDensity[0];
        // +∞ or NaN is no density an energy can be built on: count it as outside the support.
        z.LogDensity = double.IsFinite(lp) ? lp : double.NegativeInfinity;
    }

    /// <summary>H(q, p); +∞ where the log density is −∞, never NaN.</summary>
    public double Energy(PhasePoint z)
    {
        if (double.IsNegativeInfinity(z.LogDensity)) return double.PositiveInfinity;
        double kinetic = 0;
        var p = z.P;
        var inverseMass = InverseMass;
        for (int i = 0; i < p.Length; i++) kinetic += inverseMass[i] * p[i] * p[i];
        double h = 0.5 * kinetic - z.LogDensity;
        return double.IsNaN(h) ? double.PositiveInfinity : h;
    }

    /// <summary>Draws p ~ N(0, M): pᵢ = ξᵢ / √M⁻¹ᵢ.</summary>
    public void SampleMomentum(PhasePoint z, GaussianDraws normal)
    {
        var p = z.P;
        for (int i = 0; i < p.Length; i++) p[i] = normal.Next() / Math.Sqrt(InverseMass[i]);
    }

    /// <summary>The velocity dH/dp = M⁻¹p (Stan's "sharp" momentum p♯ of the generalised no-U-turn criterion).</summary>
    public void Velocity(PhasePoint z, double[] velocity)
    {
        var p = z.P;
        for (int i = 0; i < p.Length; i++) velocity[i] = InverseMass[i] * p[i];
    }

    /// <summary>
    /// One leapfrog step of signed size <paramref name="epsilon"/>. Where the position leaves the finite numbers the
    /// target is not called and the point gets log density −∞, so the caller sees an infinite energy.
    /// </summary>
    public void Leapfrog(PhasePoint z, double epsilon)
    {
        var q = z.Q;
        var p = z.P;
        var g = z.Gradient;
        var inverseMass = InverseMass;
        double half = 0.5 * epsilon;
        bool finite = true;
        for (int i = 0; i < q.Length; i++)
        {
            p[i] += half * g[i];
            q[i] += epsilon * inverseMass[i] * p[i];
            finite &= double.IsFinite(q[i]);
        }
        if (!finite)
        {
            z.LogDensity = double.NegativeInfinity;
            return;
        }
        Evaluate(z);
        if (double.IsNegativeInfinity(z.LogDensity)) return;
        for (int i = 0; i < q.Length; i++) p[i] += half * g[i];
    }
}
