namespace Sbi.Inference;

/// <summary>
/// sbi's "Training neural network. Epochs trained: n" line. On a terminal it is rewritten in place; when stderr is
/// redirected (CI, logs) plain lines are printed every 10 epochs so progress stays visible without flooding.
/// </summary>
internal sealed class TrainingProgress
{
    private readonly bool _enabled;
    private readonly bool _terminal;
    private readonly int _round;
    private bool _wrote;

    public TrainingProgress(bool enabled, int round)
    {
        _enabled = enabled;
        _terminal = !Console.IsErrorRedirected;
        _round = round;
    }

    public void Epoch(int epoch)
    {
        if (!_enabled) return;
        if (_terminal)
        {
            Console.Error.Write($"\r Training neural network (round {_round + 1}). Epochs trained: {epoch}");
            _wrote = true;
        }
        else if (epoch % 10 == 0)
            Console.Error.WriteLine($"Training neural network (round {_round + 1}). Epochs trained: {epoch}");
    }

    public void End()
    {
        if (_wrote) Console.Error.WriteLine();
        _wrote = false;
    }
}
