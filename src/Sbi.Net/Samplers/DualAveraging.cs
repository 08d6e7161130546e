namespace Sbi.Samplers;

/// <summary>
/// Nesterov dual averaging of log ε toward a target acceptance statistic δ (Hoffman and Gelman 2014, "The No-U-Turn
/// Sampler", Algorithm 5 and §3.2.1), as Stan's <c>stepsize_adaptation</c> and Pyro's <c>DualAveraging</c> run it:
/// after t updates with acceptance statistics a₁…a_t,
/// s̄_t = (1 − η_t)·s̄_{t−1} + η_t·(δ − a_t) with η_t = 1/(t + t₀),  x_t = μ − (√t/γ)·s̄_t,
/// x̄_t = (1 − t^−κ)·x̄_{t−1} + t^−κ·x_t;  the step size is exp(x_t) while adapting and exp(x̄_t) afterwards.
/// γ = 0.05, t₀ = 10 and κ = 0.75 are the paper's (and Stan's, Pyro's) defaults; μ = log(10 ε₀) pulls the iterates
/// toward step sizes larger than the initial one, which is cheaper to explore from.
/// </summary>
internal sealed class DualAveraging
{
    /// <summary>γ: how strongly the iterates are shrunk toward μ.</summary>
    public const double Gamma = 0.05;

    /// <summary>t₀: damps the first iterations.</summary>
    public const double T0 = 10;

    /// <summary>κ: the decay exponent of the averaging weights t^−κ.</summary>
    public const double Kappa = 0.75;

    private readonly double _targetAccept;
    private double _mu, _sBar, _xBar;

    /// <summary>A dual averaging toward <paramref name="targetAccept"/>; call <see cref="Restart"/> before the first update.</summary>
    public DualAveraging(double targetAccept)
    {
        if (!(targetAccept > 0 && targetAccept < 1))
            throw new ArgumentOutOfRangeException(nameof(targetAccept), targetAccept, $"{nameof(targetAccept)} must lie in (0, 1); got {targetAccept}.");
        _targetAccept = targetAccept;
    }

    /// <summary>Updates so far since the last restart (t).</summary>
    public int Count { get; private set; }

    /// <summary>The last iterate x_t = log ε_t (μ before the first update).</summary>
    public double X { get; private set; }

    /// <summary>The averaged iterate x̄_t (0 before the first update, as in Algorithm 5).</summary>
    public double XBar => _xBar;

    /// <summary>The step size to use after adaptation, exp(x̄_t).</summary>
    public double AveragedStepSize => Math.Exp(_xBar);

    /// <summary>Starts afresh around <paramref name="mu"/> (log(10 ε₀) for a new initial step size ε₀): t = 0, s̄ = x̄ = 0.</summary>
    public void Restart(double mu)
    {
        _mu = mu;
        Count = 0;
        _sBar = 0;
        _xBar = 0;
        X = mu;
    }

    /// <summary>One update with the last transition's acceptance statistic (clamped to [0, 1]; NaN counts as 0); returns the next step size exp(x_t).</summary>
    public double Update(double acceptStatistic)
    {
        // A NaN statistic can only come from an energy that overflowed: treat it as a rejection so ε shrinks.
        double a = double.IsNaN(acceptStatistic) ? 0 : Math.Clamp(acceptStatistic, 0, 1);
        Count++;
        double t = Count;
        double eta = 1.0 / (t + T0);
        _sBar = (1 - eta) * _sBar + eta * (_targetAccept - a);
        X = _mu - Math.Sqrt(t) / Gamma * _sBar;
        double weight = Math.Pow(t, -Kappa);
        _xBar = (1 - weight) * _xBar + weight * X;
        return Math.Exp(X);
    }
}
