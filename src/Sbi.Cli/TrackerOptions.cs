using System.CommandLine;
using Sbi.Tracking;

namespace Sbi.Cli;

/// <summary>
/// train's --tracker and --log-dir: where the trainer's statistics go (<see cref="ITracker"/>). As in the library,
/// nothing is written unless asked: the default is none. <c>--tracker tensorboard</c> writes TensorBoard event files
/// to --log-dir, or without it to sbi's default folder <c>./sbi-logs/NPE_B/&lt;ISO time&gt;</c>
/// (<see cref="TensorBoardTracker.Default"/>); --log-dir alone implies tensorboard, and --log-dir with
/// <c>--tracker none</c> is a usage error rather than a silently unused option.
/// </summary>
internal sealed class TrackerOptions
{
    /// <summary>The values of --tracker.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["tensorboard", "none"];

    public Option<string> Tracker { get; } = CliOptions.Choice("--tracker",
        "where training statistics go (sbi's tracker): tensorboard writes event files to --log-dir (default ./sbi-logs/NPE_B/<ISO time>); default none, " +
        "or tensorboard when --log-dir is given", Kinds, null);

    public Option<string> LogDir { get; } = CliOptions.Path("--log-dir", "the folder the TensorBoard event files go to (created if missing; read it with 'tensorboard --logdir DIR' or 'sbi-net plot summary')", "DIR");

    /// <summary>Adds both options to <paramref name="command"/> with the check that they agree.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Tracker);
        command.Options.Add(LogDir);
        command.Validators.Add(r =>
        {
            if (r.GetValue(Tracker) == "none" && r.GetValue(LogDir) is { } dir)
                r.AddError($"--log-dir '{dir}' needs --tracker tensorboard; got --tracker none (drop --log-dir to write no logs)");
        });
    }

    /// <summary>The folder the tracker will write to, or null for none; the method's default folder where none was named.</summary>
    public string? Folder(ParseResult p, string method, DateTime now) =>
        p.GetValue(LogDir) is { } dir ? dir
        : p.GetValue(Tracker) == "tensorboard" ? TensorBoardTracker.DefaultLogDir(method, null, now)
        : null;
}
