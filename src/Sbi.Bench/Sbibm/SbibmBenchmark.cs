using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Sbi.Data;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Metrics;
using Sbi.Numpy;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// sbibm's protocol for NPE on one task (what <c>sbi-net bench sbibm</c> runs): for a simulation budget, draw θ from
/// the prior and simulate x; train NPE once (sbibm's settings, <see cref="SbibmNpeSettings"/>); for each observation
/// draw <see cref="SbibmNpeSettings.NumSamples"/> posterior samples at x_o and score them with sbibm's C2ST against
/// the reference samples. With more than one round, each observation gets its own sequential NPE-B run (round r's θ
/// from round r − 1's posterior at x_o, all rounds' simulations kept, no retraining from scratch, as sbibm's SNPE).
/// </summary>
/// <remarks>
/// Seeds: the one-round simulations and training start from <c>manual_seed(seed)</c>; observation k's samples from
/// <c>manual_seed(seed + k)</c> (the same samples whichever observations are asked for); a sequential run of
/// observation k from <c>manual_seed(seed + 1000·k)</c>. With <see cref="SaveFolder"/> set, the one-round θ and x go to
/// <c>&lt;task&gt;_&lt;sims&gt;_theta.npy</c> and <c>_x.npy</c> (python/bench_sbibm_sbi.py trains sbi on them) and
/// every observation's samples to <c>&lt;task&gt;_&lt;sims&gt;_r&lt;rounds&gt;_obs&lt;k&gt;_samples.npy</c>.
/// </remarks>
public sealed class SbibmBenchmark
{
    private readonly SbibmTask _task;
    private readonly SbibmReference _reference;
    private readonly SbibmNpeSettings _settings;

    /// <summary>A benchmark of <paramref name="task"/> against <paramref name="reference"/>.</summary>
    public SbibmBenchmark(SbibmTask task, SbibmReference reference, SbibmNpeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(settings);
        Positive(settings.Rounds, "settings.Rounds");
        Positive(settings.NumSamples, "settings.NumSamples");
        Positive(settings.TrainingBatchSize, "settings.TrainingBatchSize");
        _task = task;
        _reference = reference;
        _settings = settings;
    }

    /// <summary>Where simulations and samples are written as .npy (null: nowhere).</summary>
    public string? SaveFolder { get; init; }

    /// <summary>Progress sink (null: none).</summary>
    public ISbibmProgress? Progress { get; init; }

    /// <summary>The library's warnings and information lines.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>The smallest budget: every round needs enough simulations for a training and a validation row set.</summary>
    public const int MinSimsPerRound = 20;

    /// <summary>Runs the budget <paramref name="sims"/> for <paramref name="observations"/> (1-based); one row per observation.</summary>
    /// <exception cref="ArgumentException">A budget too small for the rounds, or an observation outside 1..N.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled during training.</exception>
    public IReadOnlyList<SbibmRow> Run(int sims, IReadOnlyList<int> observations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observations);
        if (sims / _settings.Rounds < MinSimsPerRound)
            throw new ArgumentOutOfRangeException(nameof(sims), sims,
                $"{_settings.Rounds} round(s) need at least {MinSimsPerRound * _settings.Rounds} simulations ({MinSimsPerRound} a round).");
        foreach (var k in observations)
            if (k < 1 || k > _reference.Count)
                throw new ArgumentOutOfRangeException(nameof(observations), k, $"observations are numbered 1 to {_reference.Count}.");
        if (SaveFolder is not null) Directory.CreateDirectory(SaveFolder);
        return _settings.Rounds == 1 ? RunSingleRound(sims, observations, cancellationToken) : RunSequential(sims, observations, cancellationToken);
    }

    private List<SbibmRow> RunSingleRound(int sims, IReadOnlyList<int> observations, CancellationToken ct)
    {
        var rows = new List<SbibmRow>();
        manual_seed(_settings.Seed);
        Stage(sims, $"simulating {sims:N0}");
        var clock = Stopwatch.StartNew();
        using var theta = _task.Prior.Sample(sims);
        using var x = _task.Simulate(theta);
        double simSeconds = clock.Elapsed.TotalSeconds;
        if (SaveFolder is not null)
        {
            Npy.Write(Path.Combine(SaveFolder, $"{_task.Name}_{sims}_theta.npy"), theta.ToNpy());
            Npy.Write(Path.Combine(SaveFolder, $"{_task.Name}_{sims}_x.npy"), x.ToNpy());
        }

        var npe = NewTrainer();
        Stage(sims, "training");
        clock.Restart();
        npe.AppendSimulations(theta, x).Train(trainingBatchSize: _settings.BatchFor(sims), maxNumEpochs: _settings.MaxEpochs ?? int.MaxValue,
                                              cancellationToken: ct);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        int epochs = npe.Summary.EpochsTrained[^1];
        var posterior = npe.BuildPosterior();
        foreach (var k in observations)
        {
            manual_seed(_settings.Seed + k);
            rows.Add(Score(sims, k, posterior, simSeconds, trainSeconds, epochs));
        }
        return rows;
    }

    private List<SbibmRow> RunSequential(int sims, IReadOnlyList<int> observations, CancellationToken ct)
    {
        var rows = new List<SbibmRow>();
        int perRound = sims / _settings.Rounds;
        foreach (var k in observations)
        {
            manual_seed(_settings.Seed + 1000L * k);
            using var xo = _reference.Observation(k);
            var npe = NewTrainer();
            IDensity proposal = _task.Prior;
            DirectPosterior? posterior = null;
            double simSeconds = 0, trainSeconds = 0;
            int epochs = 0;
            for (int r = 0; r < _settings.Rounds; r++)
            {
                using var scope = NewDisposeScope();
                Stage(sims, $"observation {k}: round {r + 1} of {_settings.Rounds}, simulating {perRound:N0}");
                var clock = Stopwatch.StartNew();
                var theta = posterior is null ? _task.Prior.Sample(perRound) : posterior.Sample(perRound);
                var x = _task.Simulate(theta);
                simSeconds += clock.Elapsed.TotalSeconds;
                Stage(sims, $"observation {k}: round {r + 1} of {_settings.Rounds}, training");
                clock.Restart();
                var net = npe.AppendSimulations(theta, x, proposal).Train(trainingBatchSize: _settings.BatchFor(perRound),
                    maxNumEpochs: _settings.MaxEpochs ?? int.MaxValue, cancellationToken: ct);
                trainSeconds += clock.Elapsed.TotalSeconds;
                epochs += npe.Summary.EpochsTrained[^1];
                posterior = npe.BuildPosterior(net);
                proposal = posterior.SetDefaultX(xo);
            }
            manual_seed(_settings.Seed + k);
            rows.Add(Score(sims, k, posterior!, simSeconds, trainSeconds, epochs));
        }
        return rows;
    }

    private NpeB NewTrainer()
    {
        var npe = new NpeB(_task.Prior, _settings.Builder(), showProgressBars: false, logger: Logger) { UseFusedCpuKernels = _settings.UseFusedCpuKernels };
        if (Progress is { } p) npe.EpochCompleted += e => p.Epoch(e.Round + 1, e.Epoch, e.BestValidationLoss);
        return npe;
    }

    private SbibmRow Score(int sims, int k, DirectPosterior posterior, double simSeconds, double trainSeconds, int epochs)
    {
        using var scope = NewDisposeScope();
        Stage(sims, $"observation {k}: sampling {_settings.NumSamples:N0}");
        var xo = _reference.Observation(k);
        var clock = Stopwatch.StartNew();
        var samples = posterior.Sample(_settings.NumSamples, xo);
        double sampleSeconds = clock.Elapsed.TotalSeconds;
        if (SaveFolder is not null)
            Npy.Write(Path.Combine(SaveFolder, $"{_task.Name}_{sims}_r{_settings.Rounds}_obs{k}_samples.npy"), samples.ToNpy());
        Stage(sims, $"observation {k}: C2ST");
        clock.Restart();
        double c2st = SbibmC2st.Score(_reference.Reference(k), samples, _settings.C2stSeed);
        var row = new SbibmRow("sbi-net", _task.Name, sims, _settings.Rounds, k, c2st, simSeconds, trainSeconds, sampleSeconds,
                               clock.Elapsed.TotalSeconds, epochs, _settings.Seed, get_num_threads());
        Progress?.Scored(row);
        return row;
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
    }

    private void Stage(int sims, string stage) => Progress?.Stage(_task.Name, sims, stage);
}
