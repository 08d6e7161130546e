using System.CommandLine;
using Sbi.Data;
using Sbi.IO;
using Sbi.Numpy;
using Sbi.Posteriors;
using static TorchSharp.torch;

namespace Sbi.Cli;

/// <summary>
/// What `diagnose sbc` and `diagnose tarp` share: the model file, the test simulations (θ drawn from the prior and
/// their x, in the inputs of <c>train</c>: --simulations/--data, or --theta and --x), the posterior draws per
/// observation, --plot (.png) and --out (.json or .csv). <see cref="Prepare"/> checks every file before any work, loads
/// the posterior and the data and checks that they fit each other.
/// </summary>
internal sealed class DiagnoseOptions
{
    public SimulationInputs Simulations { get; } =
        new("--simulations", "test simulations (θ from the prior, x simulated) in one file: .npz with arrays theta and x (see --theta-name, --x-name), torch .pt or pickle .pkl", "--data");

    public Option<string> Model { get; } = CliOptions.Path("--model", "the model file to check, written by sbi-net train", required: true);

    public Option<int> NumPosteriorSamples { get; } = CliOptions.Int("--num-posterior-samples", "posterior draws per observation", 1000, 1);

    public Option<int?> NumBins { get; } = CliOptions.OptionalInt("--num-bins", "histogram bins", 1);

    public Option<string> Plot { get; } = CliOptions.Path("--plot", "the .png to draw the diagnostic's plot to");

    public Option<string> Out { get; } = CliOptions.Path("--out", "also write the results to this file: .json (sbi's keys) or .csv (statistic,index,value)");

    public Option<int> Seed { get; } = CliOptions.Int("--seed", "random seed", 0, int.MinValue);

    public Option<int> Threads { get; } = CliOptions.Threads();

    /// <summary>Adds the options to <paramref name="command"/>, with the checks of --plot's and --out's extensions.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        Simulations.AddTo(command);
        foreach (var o in new Option[] { NumPosteriorSamples, NumBins, Plot, Out, Seed, Threads }) command.Options.Add(o);
        command.Validators.Add(r =>
        {
            if (r.GetValue(Plot) is { } plot && !plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                r.AddError($"--plot must name a .png file; got '{plot}'");
            if (r.GetValue(Out) is { } output && !ResultsFile.HasKnownExtension(output))
                r.AddError($"--out must name a {string.Join(" or ", ResultsFile.Extensions)} file; got '{output}'");
        });
    }

    /// <summary>The parsed values of one command line.</summary>
    public Values Read(ParseResult p) => new(p.GetValue(Model)!, Simulations.Read(p), p.GetValue(NumPosteriorSamples), p.GetValue(NumBins),
                                             p.GetValue(Plot), p.GetValue(Out), p.GetValue(Seed), p.GetValue(Threads));

    internal sealed record Values(string Model, SimulationInputs.Values Simulations, int NumPosteriorSamples, int? NumBins, string? Plot, string? Out,
                                  int Seed, int Threads);

    /// <summary>The loaded posterior and test data; owns both.</summary>
    internal sealed record Loaded(DirectPosterior Posterior, SimulationData Data) : IDisposable
    {
        /// <summary>The observations the diagnostics keep: rows whose x is finite (the others are dropped with a warning, as sbi).</summary>
        public long Observations => Data.Count - Data.InvalidRowCount;

        public void Dispose() => Data.Dispose();
    }

    /// <summary>
    /// Checks the files (inputs readable; --plot and --out writable and none of the inputs), seeds torch, loads the
    /// posterior and the simulations and checks their dimensions against each other (a data error naming both options).
    /// </summary>
    public static Loaded Prepare(CliContext ctx, Values v)
    {
        PathChecks.InputFile(v.Model, "--model");
        v.Simulations.CheckFiles();
        var inputs = v.Simulations.Inputs.Append((v.Model, "--model")).ToArray();
        if (v.Plot is not null) PathChecks.Output(v.Plot, "--plot", isFolder: false, inputs);
        if (v.Out is not null) PathChecks.Output(v.Out, "--out", isFolder: false, [.. inputs, (v.Plot, "--plot")]);
        set_num_threads(v.Threads);
        manual_seed(v.Seed);
        var posterior = ModelFile.Load(v.Model, logger: ctx.Logger);
        var data = v.Simulations.Load();
        try
        {
            string from = v.Simulations.File is not null ? v.Simulations.FileOption : "--theta/--x";
            long d = posterior.Prior.Dim, xDim = posterior.PosteriorEstimator.Config.XShape.Aggregate(1L, (a, b) => a * b);
            if (data.ThetaDim != d)
                throw new SbiDataException(from, $"θ has {data.ThetaDim} column(s), but the --model posterior has {d} parameter(s)");
            if (data.XDim != xDim)
                throw new SbiDataException(from, $"x has {data.XDim} column(s), but the --model posterior's x has {xDim} (shape ({string.Join(", ", posterior.PosteriorEstimator.Config.XShape)}))");
            if (data.InvalidRowCount == data.Count)
                throw new SbiDataException(from, $"all {data.Count} rows of x hold NaN or inf; no observation is left to check");
            ctx.Out.WriteLine($"loaded {data}");
            return new Loaded(posterior, data);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The bin count for <paramref name="n"/> observations: --num-bins, or n / <paramref name="perBin"/> (sbi's default),
    /// in 1..<paramref name="max"/>; otherwise a usage error naming --num-bins (too few samples for the requested bins).
    /// </summary>
    public static int Bins(int? numBins, long n, int perBin, long max, string why)
    {
        if (numBins is null)
        {
            if (n < perBin)
                throw new UsageException($"the default --num-bins = N / {perBin} needs at least {perBin} observations; got N = {n} with finite x; pass --num-bins (at most {max}) or more simulations");
        }
        long bins = numBins ?? n / perBin;
        if (bins > max)
            throw new UsageException($"--num-bins must be at most {max} ({why}); got {bins}{(numBins is null ? $" (the default N / {perBin})" : "")}: too few samples for the requested bins");
        return (int)bins;
    }

    /// <summary>Creates --plot's folder (PathChecks allows a missing one, the plot writer needs it).</summary>
    public static void CreateFolderOf(string path) => Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
}
