namespace Sbi.Samplers;

/// <summary>
/// The No-U-Turn Sampler for one chain, in the multinomial form with the generalised no-U-turn criterion that Stan
/// and Pyro run (Hoffman and Gelman 2014, "The No-U-Turn Sampler"; Betancourt 2017, "A Conceptual Introduction to
/// Hamiltonian Monte Carlo", appendix A; ported from Stan's stan/mcmc/hmc/nuts/base_nuts.hpp, which also checks the
/// criterion across the two halves of every merged subtree). Each draw takes a fresh momentum and doubles the
/// trajectory in a random direction, at most <see cref="McmcKernelSettings.MaxTreeDepth"/> times, until the
/// trajectory's ends turn back toward each other (ρ·p♯ ≤ 0 at either end, ρ the summed momentum, p♯ = M⁻¹p), a
/// subtree does, or a leapfrog state diverges. The draw is picked among the trajectory's states with weights
/// e^(−H): uniformly (multinomially) within each new subtree and biased toward the newer subtree when the two are
/// merged at the top (Betancourt 2017, A.3.2). A state whose energy error H − H₀ exceeds 1000 (Stan's max_deltaH),
/// or whose log density is −∞ or NaN, is a divergence: its subtree is discarded and the trajectory stops, so no
/// such state is ever drawn. The acceptance statistic is the mean of min(1, e^(H₀ − H)) over all leapfrog states
/// built, discarded ones included (Stan's <c>accept_stat__</c>); warm-up feeds it to dual averaging.
/// sbi's <c>nuts_pyro</c> (sbi/inference/posteriors/mcmc_posterior.py, <c>_pyro_mcmc</c>, at 900821dc) runs Pyro's
/// NUTS with its defaults, which these settings mirror: target acceptance 0.8, tree depth 10, step-size and diagonal
/// mass adaptation with Stan's windows.
/// </summary>
public sealed class NutsKernel : IHamiltonianKernel
{
    private readonly Random _rng;
    private readonly GaussianDraws _normal;
    private readonly Hamiltonian _hamiltonian;
    private readonly HamiltonianAdaptation _adaptation;
    private readonly int _maxDepth;
    private readonly double[] _accept = new double[1];
    private readonly bool[] _divergent = new bool[1];

    // The chain's state, the integrator's moving point and the trajectory's ends, draw and proposal (Stan's z_, z_fwd, …).
    private readonly PhasePoint _current, _z, _zFwd, _zBck, _zSample, _zPropose;

    // Momenta and sharp momenta at the ends of the backward and forward subtrees, and summed momenta.
    private readonly double[] _pFwdFwd, _pSharpFwdFwd, _pFwdBck, _pSharpFwdBck, _pBckFwd, _pSharpBckFwd, _pBckBck, _pSharpBckBck;
    private readonly double[] _rho, _rhoFwd, _rhoBck;

    // build_tree's locals, one set per recursion depth (a frame at depth d uses set d; its children use d − 1).
    private readonly PhasePoint[] _zProposeFinal;
    private readonly double[][] _pInitEnd, _pSharpInitEnd, _rhoInit, _pFinalBeg, _pSharpFinalBeg, _rhoFinal;

    // The transition in progress.
    private double _h0, _epsilon, _sumMetroProb;
    private int _nLeapfrog;
    private bool _divergentNow;

    /// <summary>
    /// A chain of <paramref name="target"/> started at <paramref name="init"/> (one row of length D, with a finite log
    /// density), drawing from <paramref name="rng"/> alone.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="init"/> has the wrong length or a non-finite log density or gradient.</exception>
    public NutsKernel(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        HamiltonianStart.CheckSettings(settings);
        if (settings.MaxTreeDepth < 1 || settings.MaxTreeDepth > 30)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.MaxTreeDepth, $"settings.MaxTreeDepth must lie in [1, 30]; got {settings.MaxTreeDepth}.");
        int dim = target.Dim;
        _rng = rng;
        _normal = new GaussianDraws(rng);
        _hamiltonian = new Hamiltonian(target, Enumerable.Repeat(1.0, dim).ToArray());
        _current = new PhasePoint(dim);
        HamiltonianStart.Evaluate(_hamiltonian, init, _current);
        _adaptation = new HamiltonianAdaptation(_hamiltonian, _normal, settings);
        _maxDepth = settings.MaxTreeDepth;

        _z = new PhasePoint(dim);
        _zFwd = new PhasePoint(dim);
        _zBck = new PhasePoint(dim);
        _zSample = new PhasePoint(dim);
        _zPropose = new PhasePoint(dim);
        double[] Vector() => new double[dim];
        (_pFwdFwd, _pSharpFwdFwd, _pFwdBck, _pSharpFwdBck) = (Vector(), Vector(), Vector(), Vector());
        (_pBckFwd, _pSharpBckFwd, _pBckBck, _pSharpBckBck) = (Vector(), Vector(), Vector(), Vector());
        (_rho, _rhoFwd, _rhoBck) = (Vector(), Vector(), Vector());
        _zProposeFinal = new PhasePoint[_maxDepth];
        double[][] PerDepth() => Enumerable.Range(0, _maxDepth).Select(_ => Vector()).ToArray();
        (_pInitEnd, _pSharpInitEnd, _rhoInit) = (PerDepth(), PerDepth(), PerDepth());
        (_pFinalBeg, _pSharpFinalBeg, _rhoFinal) = (PerDepth(), PerDepth(), PerDepth());
        for (int d = 0; d < _maxDepth; d++) _zProposeFinal[d] = new PhasePoint(dim);
    }

    /// <inheritdoc/>
    public int NumChains => 1;

    /// <inheritdoc/>
    public int Dim => _hamiltonian.Dim;

    /// <inheritdoc/>
    public ReadOnlySpan<double> Positions => _current.Q;

    /// <inheritdoc/>
    public ReadOnlySpan<double> AcceptStatistics => _accept;

    /// <inheritdoc/>
    public ReadOnlySpan<bool> Divergent => _divergent;

    /// <inheritdoc/>
    public double LogDensity => _current.LogDensity;

    /// <summary>Doublings of the last draw's trajectory (Stan's <c>treedepth__</c>).</summary>
    public int TreeDepth { get; private set; }

    /// <inheritdoc/>
    /// <remarks>Stan's <c>n_leapfrog__</c>: at most 2^MaxTreeDepth − 1.</remarks>
    public int LeapfrogSteps => _nLeapfrog;

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
    public void Step(bool adapting)
    {
        _adaptation.BeforeTransition(adapting, _current);
        _epsilon = _adaptation.StepSize;
        double accept = Transition();
        _accept[0] = accept;
        _divergent[0] = _divergentNow;
        _adaptation.AfterTransition(adapting, accept, _current);
    }

    /// <summary>One NUTS transition from <see cref="_current"/> (Stan's <c>base_nuts::transition</c>); returns the acceptance statistic.</summary>
    private double Transition()
    {
        var h = _hamiltonian;
        _z.CopyPositionFrom(_current);
        h.SampleMomentum(_z, _normal);
        _zFwd.CopyFrom(_z);
        _zBck.CopyFrom(_z);
        _zSample.CopyPositionFrom(_z);
        _zPropose.CopyPositionFrom(_z);

        _z.P.AsSpan().CopyTo(_pFwdFwd);
        h.Velocity(_z, _pSharpFwdFwd);
        _pFwdFwd.AsSpan().CopyTo(_pFwdBck);
        _pFwdFwd.AsSpan().CopyTo(_pBckFwd);
        _pFwdFwd.AsSpan().CopyTo(_pBckBck);
        _pSharpFwdFwd.AsSpan().CopyTo(_pSharpFwdBck);
        _pSharpFwdFwd.AsSpan().CopyTo(_pSharpBckFwd);
        _pSharpFwdFwd.AsSpan().CopyTo(_pSharpBckBck);
        _z.P.AsSpan().CopyTo(_rho);

        double logSumWeight = 0;   // log e^(H₀ − H₀)
        _h0 = h.Energy(_z);
        _nLeapfrog = 0;
        _sumMetroProb = 0;
        _divergentNow = false;
        int depth = 0;

        while (depth < _maxDepth)
        {
            Array.Clear(_rhoFwd);
            Array.Clear(_rhoBck);
            double logSumWeightSubtree = double.NegativeInfinity;
            bool valid;
            if (_rng.NextDouble() > 0.5)
            {
                // Extend forward: the trajectory so far becomes the backward subtree.
                _z.CopyFrom(_zFwd);
                _rho.AsSpan().CopyTo(_rhoBck);
                _pFwdFwd.AsSpan().CopyTo(_pBckFwd);
                _pSharpFwdFwd.AsSpan().CopyTo(_pSharpBckFwd);
                valid = BuildTree(depth, _zPropose, _pSharpFwdBck, _pSharpFwdFwd, _rhoFwd, _pFwdBck, _pFwdFwd, 1, ref logSumWeightSubtree);
                _zFwd.CopyFrom(_z);
            }
            else
            {
                // Extend backward: the trajectory so far becomes the forward subtree.
                _z.CopyFrom(_zBck);
                _rho.AsSpan().CopyTo(_rhoFwd);
                _pBckBck.AsSpan().CopyTo(_pFwdBck);
                _pSharpBckBck.AsSpan().CopyTo(_pSharpFwdBck);
                valid = BuildTree(depth, _zPropose, _pSharpBckFwd, _pSharpBckBck, _rhoBck, _pBckFwd, _pBckBck, -1, ref logSumWeightSubtree);
                _zBck.CopyFrom(_z);
            }
            if (!valid) break;
            depth++;

            // Biased progressive sampling toward the new subtree (Betancourt 2017, A.3.2).
            if (logSumWeightSubtree > logSumWeight) _zSample.CopyPositionFrom(_zPropose);
            else if (_rng.NextDouble() < Math.Exp(logSumWeightSubtree - logSumWeight)) _zSample.CopyPositionFrom(_zPropose);
            logSumWeight = LogSumExp(logSumWeight, logSumWeightSubtree);

            for (int i = 0; i < _rho.Length; i++) _rho[i] = _rhoBck[i] + _rhoFwd[i];
            // Around the merged trajectory, and across its two subtrees (each extended by the other's nearest state).
            bool persist = Criterion(_pSharpBckBck, _pSharpFwdFwd, _rho)
                           && ExtendedCriterion(_pSharpBckBck, _pSharpFwdBck, _rhoBck, _pFwdBck)
                           && ExtendedCriterion(_pSharpBckFwd, _pSharpFwdFwd, _rhoFwd, _pBckFwd);
            if (!persist) break;
        }

        TreeDepth = depth;
        _current.CopyPositionFrom(_zSample);
        return _sumMetroProb / _nLeapfrog;
    }

    /// <summary>
    /// Builds a subtree of 2^<paramref name="depth"/> leapfrog steps in direction <paramref name="sign"/> from
    /// <see cref="_z"/> (Stan's <c>build_tree</c>): its multinomial proposal, sharp momenta and momenta at its first
    /// and last state, its summed momentum added to <paramref name="rho"/> and its log weight added to
    /// <paramref name="logSumWeight"/>. False when it diverged or turned back on itself.
    /// </summary>
    private bool BuildTree(int depth, PhasePoint zPropose, double[] pSharpBeg, double[] pSharpEnd, double[] rho,
                           double[] pBeg, double[] pEnd, int sign, ref double logSumWeight)
    {
        var h = _hamiltonian;
        if (depth == 0)
        {
            h.Leapfrog(_z, sign * _epsilon);
            _nLeapfrog++;
            double energy = h.Energy(_z);   // +∞ for −∞/NaN densities, never NaN
            if (energy - _h0 > HamiltonianStart.MaxDeltaH) _divergentNow = true;
            double logWeight = _h0 - energy;
            logSumWeight = LogSumExp(logSumWeight, logWeight);
            _sumMetroProb += logWeight > 0 ? 1 : Math.Exp(logWeight);
            if (_divergentNow) return false;   // the state is never drawn: skip its bookkeeping (NaN momenta included)
            zPropose.CopyPositionFrom(_z);
            h.Velocity(_z, pSharpBeg);
            pSharpBeg.AsSpan().CopyTo(pSharpEnd);
            var p = _z.P;
            for (int i = 0; i < p.Length; i++) rho[i] += p[i];
            p.AsSpan().CopyTo(pBeg);
            p.AsSpan().CopyTo(pEnd);
            return true;
        }

        double logSumWeightInit = double.NegativeInfinity;
        var pInitEnd = _pInitEnd[depth];
        var pSharpInitEnd = _pSharpInitEnd[depth];
        var rhoInit = _rhoInit[depth];
        Array.Clear(rhoInit);
        if (!BuildTree(depth - 1, zPropose, pSharpBeg, pSharpInitEnd, rhoInit, pBeg, pInitEnd, sign, ref logSumWeightInit))
            return false;

        var zProposeFinal = _zProposeFinal[depth];
        double logSumWeightFinal = double.NegativeInfinity;
        var pFinalBeg = _pFinalBeg[depth];
        var pSharpFinalBeg = _pSharpFinalBeg[depth];
        var rhoFinal = _rhoFinal[depth];
        Array.Clear(rhoFinal);
        if (!BuildTree(depth - 1, zProposeFinal, pSharpFinalBeg, pSharpEnd, rhoFinal, pFinalBeg, pEnd, sign, ref logSumWeightFinal))
            return false;

        // Multinomial (uniform progressive) sampling between the two halves.
        double logSumWeightSubtree = LogSumExp(logSumWeightInit, logSumWeightFinal);
        logSumWeight = LogSumExp(logSumWeight, logSumWeightSubtree);
        if (logSumWeightFinal > logSumWeightSubtree) zPropose.CopyPositionFrom(zProposeFinal);
        else if (_rng.NextDouble() < Math.Exp(logSumWeightFinal - logSumWeightSubtree)) zPropose.CopyPositionFrom(zProposeFinal);

        // ρ of the subtree is rhoInit + rhoFinal; add it to the caller's sum and test it in place.
        double beg = 0, end = 0;
        for (int i = 0; i < rho.Length; i++)
        {
            double r = rhoInit[i] + rhoFinal[i];
            rho[i] += r;
            beg += pSharpBeg[i] * r;
            end += pSharpEnd[i] * r;
        }
        return beg > 0 && end > 0
               && ExtendedCriterion(pSharpBeg, pSharpFinalBeg, rhoInit, pFinalBeg)
               && ExtendedCriterion(pSharpInitEnd, pSharpEnd, rhoFinal, pInitEnd);
    }

    /// <summary>The generalised no-U-turn criterion: p♯₋·ρ &gt; 0 and p♯₊·ρ &gt; 0 (Betancourt 2017, A.4.2).</summary>
    private static bool Criterion(double[] pSharpMinus, double[] pSharpPlus, double[] rho)
    {
        double minus = 0, plus = 0;
        for (int i = 0; i < rho.Length; i++)
        {
            minus += pSharpMinus[i] * rho[i];
            plus += pSharpPlus[i] * rho[i];
        }
        return plus > 0 && minus > 0;
    }

    /// <summary><see cref="Criterion"/> on ρ + p without forming the sum (Stan's <c>rho_extended</c>).</summary>
    private static bool ExtendedCriterion(double[] pSharpMinus, double[] pSharpPlus, double[] rho, double[] p)
    {
        double minus = 0, plus = 0;
        for (int i = 0; i < rho.Length; i++)
        {
            double r = rho[i] + p[i];
            minus += pSharpMinus[i] * r;
            plus += pSharpPlus[i] * r;
        }
        return plus > 0 && minus > 0;
    }

    private static double LogSumExp(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return a > b ? a + Math.Log(1 + Math.Exp(b - a)) : b + Math.Log(1 + Math.Exp(a - b));
    }
}
