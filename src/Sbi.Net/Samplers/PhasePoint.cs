namespace Sbi.Samplers;

/// <summary>
/// A point of phase space for Hamiltonian kernels: position q, momentum p, and the cached log density and gradient
/// at q (Stan's <c>ps_point</c>), so that a leapfrog step costs one target evaluation and a kept point carries its
/// gradient into the next transition. A non-finite log density is stored as −∞ (its energy is +∞).
/// </summary>
internal sealed class PhasePoint(int dim)
{
    public readonly double[] Q = new double[dim];
    public readonly double[] P = new double[dim];
    public readonly double[] Gradient = new double[dim];
    public double LogDensity;

    /// <summary>Copies position, momentum, log density and gradient.</summary>
    public void CopyFrom(PhasePoint other)
    {
        other.Q.AsSpan().CopyTo(Q);
        other.P.AsSpan().CopyTo(P);
        other.Gradient.AsSpan().CopyTo(Gradient);
        LogDensity = other.LogDensity;
    }

    /// <summary>Copies what a kept draw needs: position, log density and gradient (the momentum is redrawn).</summary>
    public void CopyPositionFrom(PhasePoint other)
    {
        other.Q.AsSpan().CopyTo(Q);
        other.Gradient.AsSpan().CopyTo(Gradient);
        LogDensity = other.LogDensity;
    }
}
