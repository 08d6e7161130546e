namespace Sbi.Samplers;

/// <summary>
/// Standard normal draws from one chain's <see cref="Random"/> by Marsaglia's polar method (the second variate of
/// each pair is kept for the next call), so that a chain's momenta depend on its own stream alone and cost no
/// allocation. The polar method avoids Box–Muller's sin/cos; <see cref="Random.NextDouble"/> is [0, 1), so a point
/// is redrawn when it falls outside the unit disc or on its centre.
/// </summary>
internal sealed class GaussianDraws(Random rng)
{
    private bool _hasSpare;
    private double _spare;

    /// <summary>One N(0, 1) draw.</summary>
    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2 * rng.NextDouble() - 1;
            v = 2 * rng.NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double factor = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * factor;
        _hasSpare = true;
        return u * factor;
    }
}
