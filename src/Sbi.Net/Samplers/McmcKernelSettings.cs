namespace Sbi.Samplers;

/// <summary>
/// What a kernel needs to know besides its target and starts. Slice: sbi's <c>init_width</c> 0.01 and 50 tuning
/// steps (sbi/samplers/mcmc/slice_numpy.py). HMC/NUTS: the warm-up length (Stan's windowed adaptation needs it),
/// the dual-averaging target acceptance 0.8, NUTS's maximum tree depth 10 and HMC's trajectory length.
/// </summary>
/// <param name="WarmupSteps">Draws per chain spent adapting.</param>
/// <param name="TargetAccept">Dual averaging's target acceptance statistic, in (0, 1).</param>
/// <param name="InitWidth">Slice samplers' initial bracket width per dimension.</param>
/// <param name="TuningSteps">Slice samplers' width-tuning iterations.</param>
/// <param name="MaxTreeDepth">NUTS: trajectory doublings per draw at most.</param>
/// <param name="NumLeapfrogSteps">HMC: leapfrog steps per draw (Pyro's HMC uses a trajectory length of 2π; this is the fixed count).</param>
public sealed record McmcKernelSettings(int WarmupSteps = 200, double TargetAccept = 0.8, double InitWidth = 0.01, int TuningSteps = 50,
                                        int MaxTreeDepth = 10, int NumLeapfrogSteps = 10);
