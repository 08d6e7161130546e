using System.CommandLine;
using System.CommandLine.Help;
using Sbi.Cli.Commands;

namespace Sbi.Cli;

/// <summary>
/// The sbi-net command line: parses with System.CommandLine, runs the command, and reports every failure through
/// <see cref="CliErrors"/> (usage errors exit 2, bad data and runtime failures 1, Ctrl-C 130; stack traces only with
/// --verbose). Callable in-process with any writers (the tests do).
/// </summary>
internal static class Cli
{
    /// <summary>Runs sbi-net with <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // Pickled simulations (.pkl) are read through an embedded Python (the opt-in Sbi.Numpy.Python package).
        Sbi.Data.SimulationData.PickleLoader ??= Sbi.Numpy.Python.PythonPickle.Load;
        // The hand-written parser before System.CommandLine took "sbi-net help"; "help CMD" now shows CMD's help.
        if (args.Length > 0 && args[0] == "help") args = [.. args[1..], "--help"];
        var ctx = new CliContext(output, error);
        var verbose = new Option<bool>("--verbose") { Description = "add stack traces to error messages", Recursive = true };
        var root = Build(ctx, verbose);
        var parse = root.Parse(args);
        var hint = $"Try '{CommandPath(parse.CommandResult.Command)} --help'.";
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var e in parse.Errors) error.WriteLine(CliErrors.Prefix + e.Message);
            error.WriteLine(hint);
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                // Our own handlers: CliErrors for exceptions, Interrupt for Ctrl-C in the commands that train.
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, error, parse.GetValue(verbose), hint);
        }
        finally
        {
            output.Flush();
            error.Flush();
        }
    }

    /// <summary>The command tree; every command's action writes through <paramref name="ctx"/>.</summary>
    internal static Command Build(CliContext ctx, Option<bool> verbose)
    {
        var bench = new Command("bench", "benchmarks: training, sampling (ONNX Runtime vs TorchSharp), posteriors (vs Python sbi), CUDA")
        {
            BenchTrainCommand.Create(ctx),
            BenchSampleCommand.Create(ctx),
            BenchPosteriorsCommand.Create(ctx),
            BenchGpuCommand.Create(ctx),
            BenchSbcCommand.Create(ctx),
            BenchSbibmCommand.Create(ctx),
        };
        var diagnose = new Command("diagnose", "calibration checks of a trained model on test simulations: SBC and TARP (sbi's run_sbc/check_sbc, run_tarp/check_tarp)")
        {
            DiagnoseSbcCommand.Create(ctx),
            DiagnoseTarpCommand.Create(ctx),
        };
        var plot = new Command("plot", "plots to PNG: a pair plot of samples, training curves from TensorBoard event files")
        {
            PlotPairCommand.Create(ctx),
            PlotSummaryCommand.Create(ctx),
        };
        // A plain Command, not a RootCommand: that one takes its name from the executable (the test host, in tests).
        return new Command("sbi-net", "sbi-net: neural posterior estimation (NPE-B, as in Python sbi) for .NET")
        {
            new HelpOption(),
            new VersionOption(),
            verbose,
            DemoCommand.Create(ctx),
            TrainCommand.Create(ctx),
            SampleCommand.Create(ctx),
            ExportCommand.Create(ctx),
            diagnose,
            plot,
            bench,
        };
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return string.Join(' ', names);
    }
}
