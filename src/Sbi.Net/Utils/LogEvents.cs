using Microsoft.Extensions.Logging;

namespace Sbi.Utils;

/// <summary>
/// The event ids of Sbi.Net's log messages, one per area, so a host can filter or route them (e.g. keep the MCMC
/// diagnostics, drop the training lines) without matching message text.
/// </summary>
public static class LogEvents
{
    /// <summary>Checks of appended simulations: invalid x, θ outside the prior, constant columns, odd proposals.</summary>
    public static readonly EventId Simulations = new(1000, nameof(Simulations));
    /// <summary>Training: convergence, the epoch cap, sbi's round summary.</summary>
    public static readonly EventId Training = new(1100, nameof(Training));
    /// <summary>Direct, rejection and importance sampling: samples outside the prior, low acceptance, time-outs, weights.</summary>
    public static readonly EventId Sampling = new(1200, nameof(Sampling));
    /// <summary>MCMC: the sampler that runs, chain blocks, stuck chains, R̂.</summary>
    public static readonly EventId Mcmc = new(1300, nameof(Mcmc));
    /// <summary>Variational inference: mode switches, quality control, retraining.</summary>
    public static readonly EventId VariationalInference = new(1400, nameof(VariationalInference));
    /// <summary>SBC and TARP: too few samples, dropped observations, unstable C2ST.</summary>
    public static readonly EventId Diagnostics = new(1500, nameof(Diagnostics));
    /// <summary>Model files: notes while reading them (e.g. an older file without digests).</summary>
    public static readonly EventId ModelFiles = new(1600, nameof(ModelFiles));
}
