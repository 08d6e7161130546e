using Sbi.Compat.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Compat;

/// <summary>
/// A set of simulations: parameters <see cref="Theta"/> (N, D) and simulator outputs <see cref="X"/> (N, C),
/// both float32 CPU tensors with the same number of rows, loaded from numpy (<c>.npy</c>, <c>.npz</c>),
/// PyTorch (<c>.pt</c>) or Python pickle files.
/// </summary>
/// <remarks>
/// Every loader validates before returning and leaves nothing allocated when it throws: both arrays must be
/// 2-D float32 or float64 (float64 is cast to float32), non-empty, with equal row counts. Rows of x holding
/// NaN or ±inf are kept and counted (<see cref="NanRowCount"/>, <see cref="InfRowCount"/>,
/// <see cref="InvalidRowCount"/>), as sbi's <c>handle_invalid_x</c> counts them; <see cref="WithoutInvalidRows"/>
/// drops them. The object owns its tensors: dispose it (or let a dispose scope do so).
/// </remarks>
public sealed class SimulationData : IDisposable
{
    private SimulationData(Tensor theta, Tensor x, string source)
    {
        Theta = theta;
        X = x;
        Source = source;
        using var scope = torch.NewDisposeScope();
        var nan = x.isnan().any(1);
        var inf = x.isinf().any(1);
        NanRowCount = nan.sum().item<long>();
        InfRowCount = inf.sum().item<long>();
        InvalidRowCount = nan.logical_or(inf).sum().item<long>();
        ThetaNonFiniteRowCount = theta.isfinite().all(1).logical_not().sum().item<long>();
    }

    /// <summary>Parameters, float32, shape (N, D).</summary>
    public Tensor Theta { get; }

    /// <summary>Simulation outputs, float32, shape (N, C).</summary>
    public Tensor X { get; }

    /// <summary>Where the data came from (file names), for messages.</summary>
    public string Source { get; }

    /// <summary>Number of simulations N.</summary>
    public long Count => Theta.shape[0];

    /// <summary>Parameter dimension D.</summary>
    public long ThetaDim => Theta.shape[1];

    /// <summary>Output dimension C.</summary>
    public long XDim => X.shape[1];

    /// <summary>Rows of x with at least one NaN.</summary>
    public long NanRowCount { get; }

    /// <summary>Rows of x with at least one +inf or -inf.</summary>
    public long InfRowCount { get; }

    /// <summary>Rows of x with a NaN or an infinity (what sbi excludes with <c>exclude_invalid_x=True</c>).</summary>
    public long InvalidRowCount { get; }

    /// <summary>Rows of theta with a NaN or an infinity (a prior or file problem; not removed by
    /// <see cref="WithoutInvalidRows"/>).</summary>
    public long ThetaNonFiniteRowCount { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"SimulationData({Count} simulations, theta ({Count}, {ThetaDim}), x ({Count}, {XDim}), {InvalidRowCount} invalid x rows; from {Source})";

    /// <summary>A new data set without the rows whose x has NaN or ±inf.</summary>
    /// <exception cref="InvalidDataException">every row is invalid.</exception>
    public SimulationData WithoutInvalidRows()
    {
        if (InvalidRowCount == Count)
            throw new InvalidDataException($"{Source}: all {Count} rows of x contain NaN or inf; nothing is left to train on");
        Tensor t, x;
        using (var scope = torch.NewDisposeScope())
        {
            var idx = X.isfinite().all(1).nonzero().squeeze(1);
            t = Theta.index_select(0, idx);
            x = X.index_select(0, idx);
            scope.MoveToOuter(t, x);
        }
        return new SimulationData(t, x, Source + " (invalid x rows removed)");
    }

    /// <summary>Disposes <see cref="Theta"/> and <see cref="X"/>.</summary>
    public void Dispose()
    {
        Theta.Dispose();
        X.Dispose();
    }

    /// <summary>Writes theta and x as a numpy <c>.npz</c> archive (<c>np.load(path)["theta"]</c>).</summary>
    public void SaveNpz(string path, string thetaName = "theta", string xName = "x", bool compressed = true) =>
        Npz.Write(path, new[]
        {
            new KeyValuePair<string, NpyArray>(thetaName, NpyArray.FromTensor(Theta)),
            new KeyValuePair<string, NpyArray>(xName, NpyArray.FromTensor(X)),
        }, compressed);

    // ------------------------------------------------------------------ construction

    /// <summary>Validates <paramref name="theta"/> and <paramref name="x"/> and returns new CPU float32
    /// copies; the caller keeps ownership of its tensors.</summary>
    /// <exception cref="ArgumentException">shapes or dtypes are not acceptable.</exception>
    public static SimulationData FromTensors(Tensor theta, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(x);
        Tensor t, xx;
        using (var scope = torch.NewDisposeScope())
        {
            t = theta.detach().cpu().clone();
            xx = x.detach().cpu().clone();
            scope.MoveToOuter(t, xx);
        }
        try
        {
            return Create(t, xx, "tensors");
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    /// <summary>Loads theta and x from two files. Each may be a <c>.npy</c> array, a <c>.pt</c> file holding
    /// one tensor, or a pickle of one numpy array; the kind is recognised from the file's first bytes.</summary>
    public static SimulationData Load(string thetaPath, string xPath)
    {
        Tensor? theta = null;
        try
        {
            theta = LoadSingle(thetaPath);
            var x = LoadSingle(xPath);
            return Create(theta, x, $"theta {thetaPath}, x {xPath}", thetaPath, xPath);
        }
        catch
        {
            theta?.Dispose();
            throw;
        }
    }

    /// <summary>Loads one file holding both theta and x: a <c>.npz</c> archive (arrays named
    /// <paramref name="thetaName"/> and <paramref name="xName"/>), a <c>.pt</c> file or a pickle (a
    /// <c>(theta, x)</c> tuple or list, or a dict with those names). The kind is recognised from the file's
    /// first bytes, not its extension.</summary>
    public static SimulationData LoadFile(string path, string thetaName = "theta", string xName = "x")
    {
        return Sniff(path) switch
        {
            FileKind.Zip when IsTorchZip(path) => LoadPt(path, thetaName, xName),
            FileKind.Zip => LoadNpz(path, thetaName, xName),
            FileKind.Pickle => LoadPickle(path, thetaName, xName),
            FileKind.Npy => throw new InvalidDataException($"{path}: a .npy file holds one array; pass theta and x as two files (SimulationData.Load(thetaPath, xPath)) or use an .npz archive"),
            _ => throw new InvalidDataException($"{path}: not a numpy (.npy/.npz), PyTorch (.pt) or pickle file: {DescribeStart(path)}"),
        };
    }

    /// <summary>Loads theta and x from a numpy <c>.npz</c> archive.</summary>
    public static SimulationData LoadNpz(string path, string thetaName = "theta", string xName = "x")
    {
        var npz = NpzFile.Load(path);
        NpyArray Get(string name, string role) => npz.TryGetValue(name, out var a) ? a
            : throw new InvalidDataException($"{path}: no array named '{name}' for {role}; the archive has {string.Join(", ", npz.Keys.Take(20).Select(k => "'" + k + "'"))}");
        var ta = Get(thetaName, "theta");
        var xa = Get(xName, "x");
        Tensor? theta = null;
        try
        {
            theta = ToTensor(ta, $"{path}: array '{thetaName}'");
            var x = ToTensor(xa, $"{path}: array '{xName}'");
            return Create(theta, x, path, $"{path}: array '{thetaName}'", $"{path}: array '{xName}'");
        }
        catch
        {
            theta?.Dispose();
            throw;
        }
    }

    /// <summary>Loads theta and x from a PyTorch <c>torch.save</c> file holding <c>(theta, x)</c>,
    /// <c>[theta, x]</c> or <c>{"theta": theta, "x": x}</c> (names set by the arguments).</summary>
    public static SimulationData LoadPt(string path, string thetaName = "theta", string xName = "x")
    {
        var o = TorchPt.Load(path);
        try
        {
            var (t, x) = Pick<Tensor>(o, path, thetaName, xName, TorchPt.Kind);
            var result = Create(t, x, path, $"{path}: theta", $"{path}: x", disposeOnError: false);
            DisposeExcept(o, t, x);
            return result;
        }
        catch
        {
            TorchPt.DisposeAll(o);
            throw;
        }
    }

    /// <summary>Loads theta and x from a Python pickle (numpy arrays: <c>(theta, x)</c>, <c>[theta, x]</c>
    /// or <c>{"theta": ..., "x": ...}</c>) through an embedded Python with numpy (see <see cref="PythonPickle"/>).</summary>
    /// <exception cref="PythonUnavailableException">no usable Python with numpy.</exception>
    public static SimulationData LoadPickle(string path, string thetaName = "theta", string xName = "x")
    {
        var o = PythonPickle.Load(path);
        var (ta, xa) = Pick<NpyArray>(o, path, thetaName, xName, PythonPickle.Describe);
        Tensor? theta = null;
        try
        {
            theta = ToTensor(ta, $"{path}: theta");
            var x = ToTensor(xa, $"{path}: x");
            return Create(theta, x, path, $"{path}: theta", $"{path}: x");
        }
        catch
        {
            theta?.Dispose();
            throw;
        }
    }

    // ------------------------------------------------------------------ internals

    private enum FileKind { Missing, Npy, Zip, Pickle, Unknown }

    private static FileKind Sniff(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        var b = new byte[6];
        int n;
        using (var fs = File.OpenRead(path)) n = Npy.ReadFully(fs, b);
        if (n >= 6 && b.AsSpan().SequenceEqual(Npy.Magic)) return FileKind.Npy;
        if (n >= 4 && b[0] == (byte)'P' && b[1] == (byte)'K' && b[2] == 3 && b[3] == 4) return FileKind.Zip;
        if (n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5) return FileKind.Pickle;
        return FileKind.Unknown;
    }

    private static bool IsTorchZip(string path)
    {
        try
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            return zip.Entries.Any(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        }
        catch (InvalidDataException)
        {
            return false; // let the npz reader report the corrupt archive
        }
    }

    private static string DescribeStart(string path)
    {
        var b = new byte[8];
        int n;
        using (var fs = File.OpenRead(path)) n = Npy.ReadFully(fs, b);
        return n == 0 ? "the file is empty" : "it starts with bytes " + BitConverter.ToString(b, 0, n);
    }

    private static Tensor LoadSingle(string path)
    {
        switch (Sniff(path))
        {
            case FileKind.Npy:
                return ToTensor(Npy.Read(path), path);
            case FileKind.Zip when IsTorchZip(path):
                return TorchPt.LoadTensor(path);
            case FileKind.Zip:
                throw new InvalidDataException($"{path}: an .npz archive holds several arrays; use SimulationData.LoadNpz(path, thetaName, xName)");
            case FileKind.Pickle:
                return ToTensor(PythonPickle.LoadArray(path), path);
            default:
                throw new InvalidDataException($"{path}: not a .npy, .pt or pickle file: {DescribeStart(path)}");
        }
    }

    private static Tensor ToTensor(NpyArray a, string what)
    {
        if (a.ElementType is not (NpyElementType.Float32 or NpyElementType.Float64))
            throw new InvalidDataException($"{what}: dtype {a.DType}, shape ({string.Join(", ", a.Shape)}); expected float32 or float64");
        return a.ToTensor();
    }

    private static (T theta, T x) Pick<T>(object? o, string path, string thetaName, string xName, Func<object?, string> describe) where T : class
    {
        switch (o)
        {
            case object?[] { Length: 2 } t when t[0] is T a && t[1] is T b: return (a, b);
            case List<object?> { Count: 2 } l when l[0] is T a && l[1] is T b: return (a, b);
            case PickleDict d when d.ContainsKey(thetaName) && d.ContainsKey(xName):
                if (d[thetaName] is T ta && d[xName] is T xa) return (ta, xa);
                break;
        }
        string what = typeof(T) == typeof(Tensor) ? "tensors" : "numpy arrays";
        throw new InvalidDataException($"{path}: expected (theta, x) as a tuple or list of two {what} or a dict with keys '{thetaName}' and '{xName}'; found {describe(o)}");
    }

    private static void DisposeExcept(object? o, Tensor keep1, Tensor keep2)
    {
        switch (o)
        {
            case Tensor t when !ReferenceEquals(t, keep1) && !ReferenceEquals(t, keep2): t.Dispose(); break;
            case object?[] a: foreach (var i in a) DisposeExcept(i, keep1, keep2); break;
            case List<object?> l: foreach (var i in l) DisposeExcept(i, keep1, keep2); break;
            case PickleDict d: foreach (var kv in d) DisposeExcept(kv.Value, keep1, keep2); break;
        }
    }

    /// <summary>Validates, casts to float32 and takes ownership; on error disposes both (unless told not to).</summary>
    private static SimulationData Create(Tensor theta, Tensor x, string source, string? thetaWhat = null, string? xWhat = null, bool disposeOnError = true)
    {
        try
        {
            Check(theta, thetaWhat ?? $"{source}: theta", "theta");
            Check(x, xWhat ?? $"{source}: x", "x");
            if (theta.shape[0] != x.shape[0])
                throw new InvalidDataException($"{source}: theta has shape ({string.Join(", ", theta.shape)}) and x has shape ({string.Join(", ", x.shape)}); their first dimensions (the number of simulations) must be equal");
            var t32 = ToFloat32(theta);
            var x32 = ToFloat32(x);
            if (!ReferenceEquals(t32, theta)) theta.Dispose();
            if (!ReferenceEquals(x32, x)) x.Dispose();
            return new SimulationData(t32, x32, source);
        }
        catch
        {
            if (disposeOnError)
            {
                theta.Dispose();
                x.Dispose();
            }
            throw;
        }
    }

    private static void Check(Tensor t, string what, string role)
    {
        string shape = "(" + string.Join(", ", t.shape) + ")";
        if (t.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new InvalidDataException($"{what}: dtype {t.dtype}, shape {shape}; {role} must be float32 or float64");
        if (t.dim() != 2)
            throw new InvalidDataException($"{what}: shape {shape} has {t.dim()} dimensions; {role} must be 2-D (simulations, features){(t.dim() == 1 ? ", e.g. reshape(-1, 1)" : "")}");
        if (t.shape[0] == 0)
            throw new InvalidDataException($"{what}: shape {shape} has no rows; at least one simulation is needed");
        if (t.shape[1] == 0)
            throw new InvalidDataException($"{what}: shape {shape} has no columns");
    }

    /// <summary>t itself when already contiguous float32, else a new contiguous float32 copy (inputs are CPU).</summary>
    private static Tensor ToFloat32(Tensor t)
    {
        if (t.dtype == ScalarType.Float32 && t.is_contiguous()) return t;
        using var scope = torch.NewDisposeScope();
        return t.to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }
}
