namespace Sbi.Samplers;

/// <summary>
/// The warm-up of a Hamiltonian kernel, as Stan's <c>adapt_diag_e_nuts</c> / <c>adapt_diag_e_static_hmc</c> run it:
/// before the first transition the step size comes from <see cref="StepSizeHeuristic"/> and dual averaging starts
/// around μ = log(10 ε₀); after each adapting transition dual averaging takes the acceptance statistic and
/// <see cref="DiagonalMassAdaptation"/> the draw; when a slow window closes the inverse mass diagonal changes, so the
/// step size is found afresh at the current draw and dual averaging restarts around it. At the first non-adapting
/// transition the step size freezes at the averaged iterate exp(x̄) (Stan's <c>complete_adaptation</c>).
/// </summary>
internal sealed class HamiltonianAdaptation
{
    private readonly Hamiltonian _hamiltonian;
    private readonly GaussianDraws _normal;
    private readonly PhasePoint _scratch;
    private readonly DualAveraging _dualAveraging;
    private readonly DiagonalMassAdaptation _mass;
    private bool _initialised, _frozen, _stepSizeGiven;
    private double _stepSize = 1.0;

    public HamiltonianAdaptation(Hamiltonian hamiltonian, GaussianDraws normal, McmcKernelSettings settings)
    {
        _hamiltonian = hamiltonian;
        _normal = normal;
        _scratch = new PhasePoint(hamiltonian.Dim);
        _dualAveraging = new DualAveraging(settings.TargetAccept);
        _mass = new DiagonalMassAdaptation(hamiltonian.Dim, settings.WarmupSteps);
    }

    /// <summary>The nominal step size: dual averaging's current iterate while adapting, exp(x̄) after.</summary>
    public double StepSize
    {
        get => _stepSize;
        set
        {
            if (!(value > 0) || !double.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"StepSize must be positive and finite; got {value}.");
            _stepSize = value;
            if (!_initialised) _stepSizeGiven = true;
        }
    }

    /// <summary>Whether warm-up has ended (the first non-adapting step froze the tuning).</summary>
    public bool Frozen => _frozen;

    /// <summary>The metric adaptation (windows completed, the last window's draws).</summary>
    public DiagonalMassAdaptation Mass => _mass;

    /// <summary>Call before each transition from <paramref name="z"/> (the chain's current point).</summary>
    public void BeforeTransition(bool adapting, PhasePoint z)
    {
        if (!_initialised)
        {
            if (!_stepSizeGiven) _stepSize = StepSizeHeuristic.Find(_hamiltonian, z, _scratch, _normal, 1.0);
            _dualAveraging.Restart(Math.Log(10 * _stepSize));
            _initialised = true;
        }
        if (!adapting && !_frozen)
        {
            if (_dualAveraging.Count > 0) _stepSize = _dualAveraging.AveragedStepSize;
            _frozen = true;
        }
    }

    /// <summary>Call after each transition with its acceptance statistic and the chain's new point.</summary>
    public void AfterTransition(bool adapting, double acceptStatistic, PhasePoint z)
    {
        // Warm-up is one block at the start: once frozen, a later adapting step changes nothing.
        if (!adapting || _frozen) return;
        _stepSize = _dualAveraging.Update(acceptStatistic);
        if (_mass.Learn(z.Q, _hamiltonian.InverseMass))
        {
            _stepSize = StepSizeHeuristic.Find(_hamiltonian, z, _scratch, _normal, _stepSize);
            _dualAveraging.Restart(Math.Log(10 * _stepSize));
        }
    }
}
