using System.Runtime.InteropServices;

namespace Sbi.Cli;

/// <summary>
/// Ctrl-C (SIGINT) for commands that train or run Markov chains: the first one cancels <see cref="Token"/> (training
/// stops between batches and keeps the best weights, which the command then saves; chains stop between draws) and
/// tells the user so; a second one exits at once with 130. Outside a <see cref="Listen"/> scope SIGINT keeps the
/// runtime's default (the process ends).
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    /// <summary>What the first Ctrl-C says during training.</summary>
    public const string TrainingMessage =
        "sbi-net: interrupted; stopping after the current batch and keeping the best weights so far (Ctrl-C again to quit at once)";

    private readonly TextWriter _err;
    private readonly string _message;
    private readonly PosixSignalRegistration _registration;
    private int _count;

    private Interrupt(TextWriter err, string message)
    {
        _err = err;
        _message = message;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    }

    /// <summary>Starts handling SIGINT; dispose to restore the default. <paramref name="message"/> is what the first Ctrl-C prints.</summary>
    public static Interrupt Listen(TextWriter err, string message = TrainingMessage) => new(err, message);

    /// <summary>Cancelled by the first Ctrl-C.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Whether Ctrl-C was pressed.</summary>
    public bool Requested => _cts.IsCancellationRequested;

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the command winds down and saves what it has.
        context.Cancel = true;
        if (Interlocked.Increment(ref _count) == 1)
        {
            _err.WriteLine(_message);
            _err.Flush();
            _cts.Cancel();
        }
        else
        {
            _err.WriteLine("sbi-net: interrupted again; exiting now");
            _err.Flush();
            Environment.Exit(ExitCodes.Interrupted);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _registration.Dispose();
        _cts.Dispose();
    }
}
