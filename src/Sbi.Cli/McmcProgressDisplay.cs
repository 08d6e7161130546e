using Sbi.Samplers;
using Spectre.Console;

namespace Sbi.Cli;

/// <summary>
/// Shows how far a run of Markov chains is (<see cref="McmcProgress"/>): a Spectre.Console progress bar on stderr
/// where stderr is a terminal (<see cref="CliContext.ErrIsTerminal"/>), otherwise one plain line per tenth of the
/// draws, so logs and redirected output get no control characters.
/// </summary>
internal static class McmcProgressDisplay
{
    /// <summary>Runs <paramref name="body"/> with a progress sink labelled <paramref name="label"/>; returns its result.</summary>
    public static T Run<T>(CliContext ctx, string label, Func<IProgress<McmcProgress>, T> body)
    {
        if (!ctx.ErrIsTerminal) return body(new PlainLines(ctx.Err, label));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
               .AutoClear(false)
               .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
               .Start(p =>
               {
                   var task = p.AddTask(Markup.Escape(label), maxValue: 1);
                   result = body(new BarUpdates(task, label));
                   task.Value = task.MaxValue;
               });
        return result;
    }

    /// <summary>
    /// Updates the bar from whichever thread the chains report on (ProgressTask locks internally). Not
    /// <see cref="Progress{T}"/>: that posts to the thread pool, so updates could arrive after the run.
    /// </summary>
    private sealed class BarUpdates(ProgressTask task, string label) : IProgress<McmcProgress>
    {
        public void Report(McmcProgress value)
        {
            task.MaxValue = Math.Max(1, value.DrawsTotal);
            task.Value = value.DrawsDone;
            task.Description = Markup.Escape(value.DrawsDone < value.WarmupDraws ? $"{label} (warm-up)" : label);
        }
    }

    /// <summary>One line each time the run passes another tenth of its draws.</summary>
    private sealed class PlainLines(TextWriter err, string label) : IProgress<McmcProgress>
    {
        private readonly object _gate = new();
        private int _tenths = -1;

        public void Report(McmcProgress value)
        {
            int tenths = value.DrawsTotal <= 0 ? 10 : (int)(10L * value.DrawsDone / value.DrawsTotal);
            lock (_gate)
            {
                if (tenths <= _tenths) return;
                _tenths = tenths;
                string phase = value.DrawsDone < value.WarmupDraws ? ", warm-up" : "";
                err.WriteLine($"{label}: {tenths * 10}% ({value.DrawsDone:N0} of {value.DrawsTotal:N0} draws per chain{phase}), {value.Elapsed.TotalSeconds:F1} s");
            }
        }
    }
}
