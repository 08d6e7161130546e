using Sbi.Distributions;
using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// The inputs of NPE-B's loss as sbi evaluated them: the batch, the prior, and every round's proposal as its
/// recorded log-density column (so the loss is compared on identical proposal densities; the proposals' own
/// leakage estimates are Monte-Carlo quantities, compared separately by <see cref="DirectPosteriorCheck"/>).
/// With <paramref name="float64"/> the batch is taken in float64 and the columns are sbi's float64 companions
/// (<c>f64/proposal_log_prob</c>), for the float64 evaluation of the same loss.
/// </summary>
public sealed class RecordedProposals : IDisposable
{
    public RecordedProposals(ArrayBundle b, bool float64 = false)
    {
        var dtype = float64 ? ScalarType.Float64 : ScalarType.Float32;
        Theta = b.Tensor("batch_theta").to(dtype).DetachFromDisposeScope();
        X = b.Tensor("batch_x").to(dtype).DetachFromDisposeScope();
        Prior = new BoxUniform(b.Tensor("prior_low"), b.Tensor("prior_high"));
        var cols = b.Tensor(float64 ? "f64/proposal_log_prob" : "proposal_log_prob");
        // Column 0 is the prior itself (round 0 was drawn from the prior object); later ones are posteriors.
        Proposals = Enumerable.Range(0, (int)cols.shape[1])
            .Select(k => k == 0 ? null : (IDensity)new Column(Theta, cols[.., k].clone().DetachFromDisposeScope()))
            .ToList();
        Counts = b["round_counts"].AsInt64();
    }

    public Tensor Theta { get; }
    public Tensor X { get; }
    public BoxUniform Prior { get; }
    public IReadOnlyList<IDensity?> Proposals { get; }
    public IReadOnlyList<long> Counts { get; }

    public void Dispose()
    {
        Theta.Dispose();
        X.Dispose();
        Prior.Dispose();
        foreach (var p in Proposals.OfType<Column>()) p.Values.Dispose();
    }

    /// <summary>A density known only on the batch rows; any other θ is a harness error.</summary>
    private sealed class Column : IDensity
    {
        private readonly Tensor _theta;
        public Column(Tensor theta, Tensor values) { _theta = theta; Values = values; }
        public Tensor Values { get; }

        public Tensor LogProb(Tensor theta)
        {
            if (!theta.shape.SequenceEqual(_theta.shape) || !theta.cpu().eq(_theta).all().item<bool>())
                throw new InvalidOperationException("a recorded proposal density was asked for θ outside the recorded batch");
            return Values.clone();
        }
    }
}
