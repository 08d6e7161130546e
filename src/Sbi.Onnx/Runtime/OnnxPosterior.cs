using Sbi.Numpy;
using Sbi.Format;
using System.Collections.Concurrent;
using System.Diagnostics;
using Sbi.Onnx.Model;
using Sbi.Onnx.Package;

namespace Sbi.Onnx.Runtime;

/// <summary>
/// A posterior package (see <see cref="Export.PosteriorExporter"/>) served by ONNX Runtime alone — no
/// TorchSharp. Behaves like sbi's DirectPosterior: <see cref="Sample(int, float[], Random)"/> rejects
/// draws outside the prior support; <see cref="LogProb(float[,], float[], bool)"/> is −∞ outside the support and, by default,
/// leakage-corrected. One instance may be used from many threads at once (sessions are shared, buffers
/// are pooled per call). Random streams come from <see cref="System.Random"/> and differ from torch's.
/// A variational posterior's package (estimator "vi") samples in the prior's support by construction; one fitted at a
/// single observation records it ("trained_on"), and any other x is refused.
/// </summary>
public sealed class OnnxPosterior : IDisposable
{
    private readonly GraphRunner _sample;
    private readonly GraphRunner _logProb;
    private readonly OnnxPosteriorOptions _options;
    private readonly Action<string> _log;
    private readonly TensorSpecJson[] _randomInputs;     // sample-graph inputs after x, in graph order
    private readonly ConcurrentBag<Workspace> _pool = new();
    private readonly ConcurrentDictionary<string, double> _leakage = new();
    private readonly float[]? _trainedOn;                // a single-observation VI posterior's x_o (manifest estimator.trained_on)
    private int _lowAcceptanceWarned;

    private OnnxPosterior(string dir, PosteriorManifest manifest, OnnxPosteriorOptions options)
    {
        Manifest = manifest;
        Prior = manifest.ReadPrior();
        if (Prior.D != manifest.D) throw new SbiDataException(null, $"'{dir}': prior dimension {Prior.D} differs from D = {manifest.D}.");
        _options = options;
        _log = options.Log ?? (s => Console.Error.WriteLine(s));
        if (options.MaxSamplingBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"MaxSamplingBatchSize must be >= 1, got {options.MaxSamplingBatchSize}.");
        var sIn = manifest.Sample.Inputs;
        if (sIn.Count < 2 || sIn[0].Role != "x" || sIn.Skip(1).Any(i => i.Role is not ("standard_normal" or "uniform")))
            throw new SbiDataException(null, $"'{dir}': sample graph inputs must be x followed by standard_normal/uniform inputs.");
        _randomInputs = sIn.Skip(1).ToArray();
        if (manifest.Estimator["trained_on"] is System.Text.Json.Nodes.JsonArray xo)
        {
            _trainedOn = xo.Select(v => v?.GetValue<float>() ?? float.NaN).ToArray();
            if (_trainedOn.Length != manifest.C) throw new SbiDataException(null, $"'{dir}': estimator.trained_on has {_trainedOn.Length} values; C = {manifest.C}.");
        }
        using var so = SessionFactory.Create(options, _log, out var provider);
        ExecutionProvider = provider;
        if (manifest.Sha256 is null)
            _log($"Sbi.Onnx: '{dir}' was written before package digests (no \"sha256\" in its manifest); its graphs are loaded unchecked. Export it again to add them.");
        var (samplePath, sampleBytes) = Graph(dir, manifest, manifest.Sample.File, "sample.file");
        var (logProbPath, logProbBytes) = Graph(dir, manifest, manifest.LogProb.File, "log_prob.file");
        _sample = new GraphRunner(sampleBytes, samplePath, so, sIn.Select(i => i.Name).ToList(), manifest.Sample.Output.Name);
        _logProb = new GraphRunner(logProbBytes, logProbPath, so, manifest.LogProb.Inputs.Select(i => i.Name).ToList(), manifest.LogProb.Output.Name);
    }

    private static (string Path, byte[] Bytes) Graph(string dir, PosteriorManifest manifest, string file, string member)
    {
        string path = PackageFiles.Resolve(dir, file, member);
        string? expected = null;
        if (manifest.Sha256 is { } digests && !digests.TryGetValue(file, out expected))
            throw new Numpy.SbiDataException(Path.Combine(dir, PosteriorManifest.FileName), $"\"sha256\" records no digest for '{file}' (\"{member}\"); expected one per graph file.");
        return (path, PackageFiles.ReadGraph(path, expected));
    }

    /// <summary>The package manifest.</summary>
    public PosteriorManifest Manifest { get; }

    /// <summary>The prior (its support bounds the samples).</summary>
    public PriorSpec Prior { get; }

    /// <summary>Number of θ entries.</summary>
    public int D => Manifest.D;

    /// <summary>Number of x entries.</summary>
    public int C => Manifest.C;

    /// <summary>"CPU" or "CUDA": the execution provider actually in use.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Opens a package directory.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">manifest.json or a graph file is missing.</exception>
    /// <exception cref="SbiDataException">The manifest is corrupt or of an unknown format version, or a graph cannot be loaded.</exception>
    /// <exception cref="Numpy.SbiDataException">A graph's SHA-256 differs from the manifest's, a graph path is not a plain file name
    /// inside the package, or a graph holds a non-finite weight.</exception>
    public static OnnxPosterior Load(string packageDir, OnnxPosteriorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packageDir);
        var manifest = PosteriorManifest.Load(packageDir);
        try
        {
            return new OnnxPosterior(packageDir, manifest, options ?? new OnnxPosteriorOptions());
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
        {
            throw new SbiDataException(null, $"Posterior package '{packageDir}' has a graph ONNX Runtime cannot load: {e.Message}", e);
        }
    }

    // ------------------------------------------------------------------------------------ sampling

    /// <summary>Draws exactly <paramref name="n"/> samples given <paramref name="x"/>, all inside the prior support.</summary>
    /// <param name="n">Number of samples (&gt; 0).</param>
    /// <param name="x">Observation, length <see cref="C"/>, finite.</param>
    /// <param name="rng">Random source (not thread-safe: one per thread); null uses <see cref="Random.Shared"/>.</param>
    /// <returns>(n, D) samples.</returns>
    /// <exception cref="TimeoutException"><see cref="OnnxPosteriorOptions.MaxSamplingTime"/> elapsed.</exception>
    public float[,] Sample(int n, float[] x, Random? rng = null) => Sample(n, x, rng, _options.MaxSamplingTime);

    /// <summary>
    /// <see cref="Sample(int, float[], Random)"/> with its own time limit (instead of <see cref="OnnxPosteriorOptions.MaxSamplingTime"/>):
    /// past <paramref name="maxSamplingTime"/> a <see cref="TimeoutException"/> states the acceptance measured so far (the
    /// estimator's mass inside the prior's support) and what to do.
    /// </summary>
    public float[,] Sample(int n, float[] x, Random? rng, TimeSpan? maxSamplingTime)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"The number of samples must be positive, got {n}.");
        CheckX(x);
        var result = new float[n, D];
        Rejection(n, x, rng ?? Random.Shared, (ws, count, acceptedSoFar) =>
        {
            int d = D;
            for (int s = 0, w = acceptedSoFar; s < count && w < n; s++)
            {
                var row = new ReadOnlySpan<float>(ws.Theta, s * d, d);
                if (!Prior.InSupport(row)) continue;
                for (int k = 0; k < d; k++) result[w, k] = row[k];
                w++;
            }
        }, maxSamplingTime, "posterior samples");
        return result;
    }

    /// <summary>Same as <see cref="Sample(int, float[], Random)"/> with a <c>new Random(seed)</c>.</summary>
    public float[,] Sample(int n, float[] x, int seed) => Sample(n, x, new Random(seed));

    /// <summary>
    /// Draws <paramref name="count"/> raw estimator samples (no rejection) into <paramref name="destination"/>
    /// (count × D, row-major). Used by benchmarks and diagnostics.
    /// </summary>
    public void SampleUnconstrained(int count, float[] x, Random rng, Span<float> destination)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be positive.");
        CheckX(x);
        if (destination.Length < count * D) throw new ArgumentException($"destination holds {destination.Length} values, needs {count * D}.", nameof(destination));
        var ws = Rent();
        try
        {
            for (int done = 0; done < count;)
            {
                int b = Math.Min(ws.Capacity, count - done);
                RunSample(ws, x, b, rng);
                ws.Theta.AsSpan(0, b * D).CopyTo(destination.Slice(done * D));
                done += b;
            }
        }
        finally { _pool.Add(ws); }
    }

    /// <summary>sbi's accept/reject loop: batches of min(max, max(int(1.5·remaining/acceptance), 100)).</summary>
    private (long proposed, long accepted) Rejection(int n, float[] x, Random rng, Action<Workspace, int, int> consume, TimeSpan? timeLimit, string what)
    {
        var ws = Rent();
        var clock = Stopwatch.StartNew();
        try
        {
            long proposed = 0, accepted = 0;
            int batch = Math.Min(n, ws.Capacity);
            while (accepted < n)
            {
                RunSample(ws, x, batch, rng);
                int inside = 0;
                for (int s = 0; s < batch; s++)
                    if (Prior.InSupport(new ReadOnlySpan<float>(ws.Theta, s * D, D))) inside++;
                consume(ws, batch, (int)Math.Min(accepted, int.MaxValue));
                proposed += batch;
                accepted += inside;
                double acceptance = (double)accepted / proposed;
                long remaining = n - accepted;
                if (remaining > 0)
                    batch = (int)Math.Min(ws.Capacity, Math.Max(Math.Min(1.5 * remaining / Math.Max(acceptance, 1e-12), int.MaxValue), 100));
                if (proposed > 1000 && acceptance < 0.01 && Interlocked.Exchange(ref _lowAcceptanceWarned, 1) == 0)
                    _log($"Sbi.Onnx: only {acceptance:P3} of the estimator's samples lie inside the prior support while drawing {what}; " +
                         "sampling may be very slow (sbi warns likewise). Consider more training or a MaxSamplingTime.");
                if (timeLimit is { } limit && clock.Elapsed > limit && accepted < n)
                    throw new TimeoutException(
                        $"Drew {accepted} of {n} {what} in {clock.Elapsed.TotalSeconds:F1} s (limit {limit.TotalSeconds:F1} s): only {acceptance:P3} of the " +
                        $"estimator's mass lies inside the prior's support (measured over {proposed} proposals), so the observation is unlikely under " +
                        "the trained posterior. Try another x, more training, or sampling without rejection (SampleUnconstrained; samples may then lie outside the prior).");
            }
            return (proposed, accepted);
        }
        finally { _pool.Add(ws); }
    }

    private void RunSample(Workspace ws, float[] x, int count, Random rng)
    {
        Array.Copy(x, ws.X, C);
        for (int i = 0; i < _randomInputs.Length; i++)
        {
            var buf = ws.Random[i].AsSpan(0, count * _randomInputs[i].EventSize);
            if (_randomInputs[i].Role == "uniform") RandomFill.Uniform(rng, buf);
            else RandomFill.StandardNormal(rng, buf);
            ws.RandomShapes[i][1] = count;
        }
        ws.ThetaShape[1] = count;
        _sample.Run(ws.SampleInputs, ws.SampleShapes, ws.Theta, ws.ThetaShape);
    }

    // ------------------------------------------------------------------------------------ densities

    /// <summary>
    /// Posterior log-density of each row of <paramref name="theta"/> given <paramref name="x"/>: the estimator
    /// density, −∞ outside the prior support, minus log(acceptance) when <paramref name="normalize"/> is set
    /// (sbi's leakage correction; the acceptance is estimated once per x value from
    /// <see cref="OnnxPosteriorOptions.LeakageRejectionSamples"/> accepted draws and cached).
    /// </summary>
    public float[] LogProb(float[,] theta, float[] x, bool normalize = true) => LogProb(theta, x, normalize, _options.MaxSamplingTime);

    /// <summary>
    /// <see cref="LogProb(float[,], float[], bool)"/> whose leakage correction runs under <paramref name="maxSamplingTime"/>
    /// (instead of <see cref="OnnxPosteriorOptions.MaxSamplingTime"/>); past it a <see cref="TimeoutException"/> states the acceptance.
    /// </summary>
    public float[] LogProb(float[,] theta, float[] x, bool normalize, TimeSpan? maxSamplingTime)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.GetLength(1) != D) throw new ArgumentException($"theta must have D = {D} columns, got {theta.GetLength(1)}.", nameof(theta));
        CheckX(x);
        int n = theta.GetLength(0);
        var result = new float[n];
        if (n == 0) return result;
        var flat = new float[n * D];
        Buffer.BlockCopy(theta, 0, flat, 0, flat.Length * sizeof(float));
        RawLogProb(flat, n, x, result);
        float correction = normalize ? (float)Math.Log(LeakageAcceptance(x, maxSamplingTime)) : 0f;
        for (int i = 0; i < n; i++)
            result[i] = Prior.InSupport(new ReadOnlySpan<float>(flat, i * D, D)) ? result[i] - correction : float.NegativeInfinity;
        return result;
    }

    /// <summary>Raw estimator log-density (no support mask, no correction) of <paramref name="n"/> row-major θ rows at one x.</summary>
    public void RawLogProb(ReadOnlySpan<float> theta, int n, float[] x, Span<float> destination)
    {
        CheckX(x);
        if (theta.Length < n * D) throw new ArgumentException($"theta holds {theta.Length} values, needs {n * D}.", nameof(theta));
        var ws = Rent();
        try
        {
            for (int done = 0; done < n;)
            {
                int b = Math.Min(ws.Capacity, n - done);
                theta.Slice(done * D, b * D).CopyTo(ws.LpTheta);
                if (ws.LpXRows < b || !ws.LpXFor.AsSpan().SequenceEqual(x))
                {
                    for (int r = 0; r < ws.Capacity; r++) Array.Copy(x, 0, ws.LpX, r * C, C);
                    ws.LpXRows = ws.Capacity;
                    Array.Copy(x, ws.LpXFor, C);
                }
                ws.LpThetaShape[0] = b;
                ws.LpXShape[0] = b;
                ws.LpOutShape[0] = b;
                _logProb.Run(ws.LpInputs, ws.LpShapes, ws.LpOut, ws.LpOutShape);
                ws.LpOut.AsSpan(0, b).CopyTo(destination.Slice(done));
                done += b;
            }
        }
        finally { _pool.Add(ws); }
    }

    /// <summary>
    /// Fraction of the estimator's mass inside the prior support at x (sbi's leakage_correction), from
    /// rejection sampling until <see cref="OnnxPosteriorOptions.LeakageRejectionSamples"/> draws were
    /// accepted; cached per x value. 1 for priors with unbounded support.
    /// </summary>
    public double LeakageAcceptance(float[] x) => LeakageAcceptance(x, _options.MaxSamplingTime);

    /// <summary><see cref="LeakageAcceptance(float[])"/> under its own time limit (nothing is cached when it runs out).</summary>
    public double LeakageAcceptance(float[] x, TimeSpan? maxSamplingTime)
    {
        CheckX(x);
        if (Prior is MultivariateNormalSpec) return 1.0;
        string key = Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
        return _leakage.GetOrAdd(key, _ =>
        {
            var rng = new Random(_options.LeakageSeed);
            var (proposed, accepted) = Rejection(_options.LeakageRejectionSamples, x, rng, (_, _, _) => { }, maxSamplingTime, "leakage-correction samples");
            return (double)accepted / proposed;
        });
    }

    // ------------------------------------------------------------------------------------ helpers

    private void CheckX(float[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length != C) throw new ArgumentException($"x must have C = {C} entries, got {x.Length}.", nameof(x));
        for (int i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i])) throw new ArgumentException($"x[{i}] is {x[i]}; x must be finite (sbi rejects NaN/inf observations).", nameof(x));
        // A variational posterior fitted at one observation is the posterior of that observation only (sbi's VIPosterior rule).
        if (_trainedOn is not null && !x.AsSpan().SequenceEqual(_trainedOn))
            throw new ArgumentException($"This package is a variational posterior fitted at x_o = [{string.Join(", ", _trainedOn.Take(6))}{(_trainedOn.Length > 6 ? ", …" : "")}]; " +
                                        "it cannot be evaluated at another x. Fit it at that x (VIPosterior.Train) or export an amortised one.", nameof(x));
    }

    private Workspace Rent() => _pool.TryTake(out var ws) ? ws : new Workspace(this);

    /// <summary>Per-call buffers (preallocated, reused through the pool).</summary>
    private sealed class Workspace
    {
        public readonly int Capacity;
        public readonly float[] X, Theta;
        public readonly float[][] Random;
        public readonly long[][] RandomShapes;
        public readonly float[][] SampleInputs;
        public readonly long[][] SampleShapes;
        public readonly long[] ThetaShape;
        public readonly float[] LpTheta, LpX, LpOut, LpXFor;
        public readonly long[] LpThetaShape, LpXShape, LpOutShape;
        public readonly float[][] LpInputs;
        public readonly long[][] LpShapes;
        public int LpXRows;

        public Workspace(OnnxPosterior p)
        {
            Capacity = p._options.MaxSamplingBatchSize;
            int d = p.D, c = p.C;
            X = new float[c];
            Theta = new float[Capacity * d];
            Random = p._randomInputs.Select(s => new float[Capacity * s.EventSize]).ToArray();
            RandomShapes = p._randomInputs.Select(s => new long[] { 1, Capacity, s.EventSize }).ToArray();
            SampleInputs = new[] { X }.Concat(Random).ToArray();
            SampleShapes = new[] { new long[] { 1, c } }.Concat(RandomShapes).ToArray();
            ThetaShape = new long[] { 1, Capacity, d };
            LpTheta = new float[Capacity * d];
            LpX = new float[Capacity * c];
            LpOut = new float[Capacity];
            LpXFor = new float[c];
            LpThetaShape = new long[] { Capacity, d };
            LpXShape = new long[] { Capacity, c };
            LpOutShape = new long[] { Capacity };
            // Order of the log-prob graph inputs as declared in the manifest.
            var names = p.Manifest.LogProb.Inputs.Select(i => i.Role).ToArray();
            LpInputs = names.Select(r => r == "theta" ? LpTheta : LpX).ToArray();
            LpShapes = names.Select(r => r == "theta" ? LpThetaShape : LpXShape).ToArray();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _sample.Dispose();
        _logProb.Dispose();
    }
}
