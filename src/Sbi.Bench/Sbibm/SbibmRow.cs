using System.Globalization;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// One benchmark result: a task, budget and observation. Times are wall-clock seconds. For one round the simulation
/// and training are shared by the budget's observations and repeated in each of its rows; for sequential runs each
/// observation has its own.
/// </summary>
/// <param name="Implementation">"sbi-net" (or "sbi" in the Python side's file).</param>
/// <param name="Task">sbibm task name.</param>
/// <param name="Sims">Simulation budget (all rounds together).</param>
/// <param name="Rounds">Rounds (1: NPE).</param>
/// <param name="Observation">sbibm's observation number, 1..10.</param>
/// <param name="C2st">sbibm's C2ST of the posterior samples against the reference samples.</param>
/// <param name="SimulationSeconds">Drawing θ (prior or proposal) and simulating x.</param>
/// <param name="TrainingSeconds">Training (all rounds).</param>
/// <param name="SamplingSeconds">Drawing the posterior samples scored.</param>
/// <param name="C2stSeconds">Computing the C2ST.</param>
/// <param name="Epochs">Epochs trained (all rounds).</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Threads">torch intra-op threads.</param>
public sealed record SbibmRow(string Implementation, string Task, int Sims, int Rounds, int Observation, double C2st,
    double SimulationSeconds, double TrainingSeconds, double SamplingSeconds, double C2stSeconds, int Epochs, int Seed, int Threads)
{
    /// <summary>What producing this observation's samples took: simulation + training + sampling.</summary>
    public double Seconds => SimulationSeconds + TrainingSeconds + SamplingSeconds;

    /// <summary>The CSV header (<see cref="ToCsv"/>'s columns).</summary>
    public const string CsvHeader =
        "implementation,task,sims,rounds,observation,c2st,seconds,simulation_seconds,training_seconds,sampling_seconds,c2st_seconds,epochs,seed,threads";

    /// <summary>The row as CSV (invariant culture).</summary>
    public string ToCsv() => string.Join(',',
        Implementation, Task, I(Sims), I(Rounds), I(Observation), F(C2st), F(Seconds), F(SimulationSeconds), F(TrainingSeconds),
        F(SamplingSeconds), F(C2stSeconds), I(Epochs), I(Seed), I(Threads));

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
