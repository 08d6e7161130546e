using System.CommandLine;
using Sbi.Data;
using Sbi.Numpy;

namespace Sbi.Cli;

/// <summary>
/// Where a command reads (θ, x) simulations from, the same way for every command that takes them (train, diagnose):
/// --theta and --x as two .npy files, or one file (.npz with named arrays, torch .pt, pickle .pkl) under
/// <see cref="FileOption"/> (train's --data; diagnose's --simulations, with --data as an alias) with --theta-name and
/// --x-name. Data errors while loading (mismatched row counts, wrong dtypes) name the options the files came from.
/// </summary>
internal sealed class SimulationInputs
{
    public SimulationInputs(string fileOption, string fileDescription, params string[] fileAliases)
    {
        FileOption = fileOption;
        Theta = CliOptions.Path("--theta", "θ of the simulations: a .npy file, one row per simulation (with --x)");
        X = CliOptions.Path("--x", "x of the simulations: a .npy file with --theta's row count (with --theta)");
        DataFile = new Option<string>(fileOption, fileAliases) { Description = fileDescription, HelpName = "FILE" };
    }

    /// <summary>The name of the one-file option.</summary>
    public string FileOption { get; }

    public Option<string> Theta { get; }

    public Option<string> X { get; }

    public Option<string> DataFile { get; }

    public Option<string> ThetaName { get; } = new("--theta-name") { Description = "name of θ in the one-file input", HelpName = "NAME", DefaultValueFactory = _ => "theta" };

    public Option<string> XName { get; } = new("--x-name") { Description = "name of x in the one-file input", HelpName = "NAME", DefaultValueFactory = _ => "x" };

    /// <summary>Adds the options to <paramref name="command"/> with the check that exactly one of the two forms is given.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Theta, X, DataFile, ThetaName, XName }) command.Options.Add(o);
        command.Validators.Add(r =>
        {
            bool hasFile = r.GetValue(DataFile) is not null, hasTheta = r.GetValue(Theta) is not null, hasX = r.GetValue(X) is not null;
            if (hasFile ? hasTheta || hasX : !(hasTheta && hasX))
                r.AddError($"give either --theta and --x (two .npy files), or {FileOption} (one file)");
        });
    }

    /// <summary>The parsed values of one command line.</summary>
    public Values Read(ParseResult p) => new(p.GetValue(Theta), p.GetValue(X), p.GetValue(DataFile), p.GetValue(ThetaName)!, p.GetValue(XName)!, FileOption);

    /// <summary>The chosen files; <see cref="Inputs"/> for <see cref="PathChecks.Output"/>, <see cref="Load"/> to read them.</summary>
    internal sealed record Values(string? Theta, string? X, string? File, string ThetaName, string XName, string FileOption)
    {
        /// <summary>The input files with their options (null where not given).</summary>
        public (string? Path, string Option)[] Inputs => [(Theta, "--theta"), (X, "--x"), (File, FileOption)];

        /// <summary>Checks that every given file can be read (before any work).</summary>
        public void CheckFiles()
        {
            foreach (var (path, option) in Inputs)
                if (path is not null) PathChecks.InputFile(path, option);
        }

        /// <summary>Loads the simulations; a data error names the option(s) the file(s) came from.</summary>
        public SimulationData Load()
        {
            string options = File is not null ? FileOption : "--theta/--x";
            try
            {
                return File is not null ? SimulationData.LoadFile(File, ThetaName, XName) : SimulationData.Load(Theta!, X!);
            }
            catch (SbiDataException e)
            {
                throw new SbiDataException(options, e.Message, e);
            }
        }
    }
}
