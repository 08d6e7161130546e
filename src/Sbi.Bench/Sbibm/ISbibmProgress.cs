namespace Sbi.Bench.Sbibm;

/// <summary>What a running benchmark reports (the CLI draws it on the terminal).</summary>
public interface ISbibmProgress
{
    /// <summary>A new stage: "simulating", "training", "sampling observation 3", ….</summary>
    void Stage(string task, int sims, string stage);

    /// <summary>An epoch ended (round 1-based).</summary>
    void Epoch(int round, int epoch, double bestValidationLoss);

    /// <summary>An observation was scored.</summary>
    void Scored(SbibmRow row);
}
