namespace Sbi.Samplers;

/// <summary>
/// Static Hamiltonian Monte Carlo for one chain (Neal 2011, "MCMC using Hamiltonian dynamics"; Stan's
/// <c>diag_e_static_hmc</c> with a fixed step count): each draw takes a fresh momentum p ~ N(0, M), runs
/// <see cref="McmcKernelSettings.NumLeapfrogSteps"/> leapfrog steps and accepts the end point with probability
/// min(1, e^(H₀ − H)). The step size of each draw is jittered uniformly in [0.9 ε, 1.1 ε] (<see cref="StepSizeJitter"/>)
/// so that a fixed trajectory length cannot keep returning to the start on a Gaussian's periodic orbits (Neal 2011,
/// §5.4.2.2). In warm-up ε follows dual averaging toward <see cref="McmcKernelSettings.TargetAccept"/> and the inverse
/// mass diagonal Stan's windowed variance estimate (<see cref="HamiltonianAdaptation"/>). A trajectory that leaves
/// the support (log density −∞ or NaN) stops there and is rejected; its acceptance statistic is 0 and it counts as
/// divergent, as does an end point whose energy error H − H₀ exceeds 1000.
/// <para>sbi's <c>hmc_pyro</c> (sbi/inference/posteriors/mcmc_posterior.py, <c>_pyro_mcmc</c>, at 900821dc) runs
/// Pyro's HMC, whose trajectory length is 2π with ⌈2π/ε⌉ steps; here the step count is fixed by the settings, so a
/// step size that warm-up shrinks also shortens the trajectory. On a target with a hard wall a chain that ends
/// warm-up beside the wall can be left with a tiny ε and mix very slowly (HmcKernelTests documents a measured case);
/// NUTS, whose trajectories lengthen as ε shrinks, has no such problem.</para>
/// </summary>
public sealed class HmcKernel : IHamiltonianKernel
{
    /// <summary>Relative half-width of the step-size jitter: each draw's ε is uniform in [(1 − 0.1) ε, (1 + 0.1) ε].</summary>
    public const double StepSizeJitter = 0.1;

    private readonly Random _rng;
    private readonly GaussianDraws _normal;
    private readonly Hamiltonian _hamiltonian;
    private readonly HamiltonianAdaptation _adaptation;
    private readonly PhasePoint _z, _proposal;
    private readonly int _numLeapfrogSteps;
    private readonly double[] _accept = new double[1];
    private readonly bool[] _divergent = new bool[1];

    /// <summary>
    /// A chain of <paramref name="target"/> started at <paramref name="init"/> (one row of length D, with a finite log
    /// density), drawing from <paramref name="rng"/> alone.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="init"/> has the wrong length or a non-finite log density or gradient.</exception>
    public HmcKernel(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        HamiltonianStart.CheckSettings(settings);
        if (settings.NumLeapfrogSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.NumLeapfrogSteps, $"settings.NumLeapfrogSteps must be at least 1; got {settings.NumLeapfrogSteps}.");
        int dim = target.Dim;
        _rng = rng;
        _normal = new GaussianDraws(rng);
        _hamiltonian = new Hamiltonian(target, Enumerable.Repeat(1.0, dim).ToArray());
        _z = new PhasePoint(dim);
        _proposal = new PhasePoint(dim);
        HamiltonianStart.Evaluate(_hamiltonian, init, _z);
        _adaptation = new HamiltonianAdaptation(_hamiltonian, _normal, settings);
        _numLeapfrogSteps = settings.NumLeapfrogSteps;
    }

    /// <inheritdoc/>
    public int NumChains => 1;

    /// <inheritdoc/>
    public int Dim => _hamiltonian.Dim;

    /// <inheritdoc/>
    public ReadOnlySpan<double> Positions => _z.Q;

    /// <inheritdoc/>
    public ReadOnlySpan<double> AcceptStatistics => _accept;

    /// <inheritdoc/>
    public ReadOnlySpan<bool> Divergent => _divergent;

    /// <inheritdoc/>
    public double LogDensity => _z.LogDensity;

    /// <inheritdoc/>
    public double StepSize
    {
        get => _adaptation.StepSize;
        set => _adaptation.StepSize = value;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<double> InverseMassDiagonal => _hamiltonian.InverseMass;

    /// <inheritdoc/>
    public (int Completed, int LastDraws) MassWindows => (_adaptation.Mass.CompletedWindows, _adaptation.Mass.LastWindowDraws);

    /// <inheritdoc/>
    public int LeapfrogSteps { get; private set; }

    /// <inheritdoc/>
    public void Step(bool adapting)
    {
        _adaptation.BeforeTransition(adapting, _z);
        double epsilon = _adaptation.StepSize * (1 + StepSizeJitter * (2 * _rng.NextDouble() - 1));
        _hamiltonian.SampleMomentum(_z, _normal);
        double h0 = _hamiltonian.Energy(_z);
        _proposal.CopyFrom(_z);
        int steps = 0;
        while (steps < _numLeapfrogSteps)
        {
            _hamiltonian.Leapfrog(_proposal, epsilon);
            steps++;
            if (double.IsNegativeInfinity(_proposal.LogDensity)) break;   // left the support: rejected below
        }
        LeapfrogSteps = steps;
        double h = _hamiltonian.Energy(_proposal);
        double delta = h0 - h;
        double accept = delta >= 0 ? 1 : Math.Exp(delta);   // exp(−∞) = 0; delta is never NaN (h0 finite)
        _accept[0] = accept;
        _divergent[0] = !(h - h0 <= HamiltonianStart.MaxDeltaH);
        if (_rng.NextDouble() < accept) _z.CopyPositionFrom(_proposal);
        _adaptation.AfterTransition(adapting, accept, _z);
    }
}
