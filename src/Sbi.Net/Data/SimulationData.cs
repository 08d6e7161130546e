using Sbi.Numpy;
using Sbi.Numpy.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Data;

/// <summary>
/// A set of simulations: parameters <see cref="Theta"/> (N, D) and simulator outputs <see cref="X"/> (N, C),
/// both float32 CPU tensors with the same number of rows, loaded from numpy (<c>.npy</c>, <c>.npz</c>),
/// PyTorch (<c>.pt</c>) or Python pickle files. Files are read by Sbi.Numpy (no Python, no libtorch) as
/// <see cref="NpyArray"/>s and converted here; pickles need a loader (<see cref="PickleLoader"/>).
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
    /// <exception cref="SbiDataException">every row is invalid.</exception>
    public SimulationData WithoutInvalidRows()
    {
        if (InvalidRowCount == Count)
            throw new SbiDataException(null, $"{Source}: all {Count} rows of x contain NaN or inf; nothing is left to train on");
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
            new KeyValuePair<string, NpyArray>(thetaName, Theta.ToNpy()),
            new KeyValuePair<string, NpyArray>(xName, X.ToNpy()),
        }, compressed);

    /// <summary>
    /// Reads Python pickles of numpy arrays (a path in; an <see cref="NpyArray"/>, tuple, list or <see cref="PickleDict"/>
    /// out). Unpickling numpy arrays needs Python, which this library does not carry: the opt-in package
    /// Sbi.Numpy.Python supplies one (<c>SimulationData.PickleLoader = PythonPickle.Load;</c>); null refuses pickles.
    /// </summary>
    public static Func<string, object?>? PickleLoader { get; set; }

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
        catch (SbiDataException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    /// <summary>Loads theta and x from two files. Each may be a <c>.npy</c> array, a <c>.pt</c> file holding
    /// one tensor, or a pickle of one numpy array; the kind is recognised from the file's first bytes.</summary>
    public static SimulationData Load(string thetaPath, string xPath) =>
        FromArrays(LoadSingle(thetaPath), LoadSingle(xPath), $"theta {thetaPath}, x {xPath}", thetaPath, xPath);

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
            FileKind.Npy => throw new SbiDataException(null, $"{path}: a .npy file holds one array; pass theta and x as two files (SimulationData.Load(thetaPath, xPath)) or use an .npz archive"),
            _ => throw new SbiDataException(null, $"{path}: not a numpy (.npy/.npz), PyTorch (.pt) or pickle file: {DescribeStart(path)}"),
        };
    }

    /// <summary>Loads theta and x from a numpy <c>.npz</c> archive.</summary>
    public static SimulationData LoadNpz(string path, string thetaName = "theta", string xName = "x")
    {
        var npz = NpzFile.Load(path);
        NpyArray Get(string name, string role) => npz.TryGetValue(name, out var a) ? a
            : throw new SbiDataException(null, $"{path}: no array named '{name}' for {role}; the archive has {string.Join(", ", npz.Keys.Take(20).Select(k => "'" + k + "'"))}");
        return FromArrays(Get(thetaName, "theta"), Get(xName, "x"), path, $"{path}: array '{thetaName}'", $"{path}: array '{xName}'");
    }

    /// <summary>Loads theta and x from a PyTorch <c>torch.save</c> file holding <c>(theta, x)</c>,
    /// <c>[theta, x]</c> or <c>{"theta": theta, "x": x}</c> (names set by the arguments).</summary>
    public static SimulationData LoadPt(string path, string thetaName = "theta", string xName = "x")
    {
        var (t, x) = Pick(TorchPt.Load(path), path, thetaName, xName, "tensors");
        return FromArrays(t, x, path, $"{path}: theta", $"{path}: x");
    }

    /// <summary>Loads theta and x from a Python pickle (numpy arrays: <c>(theta, x)</c>, <c>[theta, x]</c>
    /// or <c>{"theta": ..., "x": ...}</c>) through <see cref="PickleLoader"/>.</summary>
    /// <exception cref="InvalidOperationException">no pickle loader is set.</exception>
    public static SimulationData LoadPickle(string path, string thetaName = "theta", string xName = "x")
    {
        var (t, x) = Pick(ReadPickle(path), path, thetaName, xName, "numpy arrays");
        return FromArrays(t, x, path, $"{path}: theta", $"{path}: x");
    }

    // ------------------------------------------------------------------ internals

    private enum FileKind { Missing, Npy, Zip, Pickle, Unknown }

    private static FileKind Sniff(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        var b = new byte[6];
        int n;
        using (var fs = File.OpenRead(path)) n = fs.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
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
        using (var fs = File.OpenRead(path)) n = fs.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
        return n == 0 ? "the file is empty" : "it starts with bytes " + BitConverter.ToString(b, 0, n);
    }

    private static object? ReadPickle(string path) =>
        (PickleLoader ?? throw new InvalidOperationException(
            $"{path} is a Python pickle; reading pickles needs Python, which Sbi.Net does not load by itself. Reference the " +
            "Sbi.Numpy.Python package and set SimulationData.PickleLoader = PythonPickle.Load, or save the arrays with numpy (.npy/.npz) or torch.save (.pt)."))(path);

    private static NpyArray LoadSingle(string path)
    {
        switch (Sniff(path))
        {
            case FileKind.Npy:
                return Npy.Read(path);
            case FileKind.Zip when IsTorchZip(path):
                return TorchPt.LoadArray(path);
            case FileKind.Zip:
                throw new SbiDataException(null, $"{path}: an .npz archive holds several arrays; use SimulationData.LoadNpz(path, thetaName, xName)");
            case FileKind.Pickle:
                var o = ReadPickle(path);
                return o as NpyArray ?? throw new SbiDataException(null, $"{path}: expected one numpy array, found {PickleValues.Describe(o)}");
            default:
                throw new SbiDataException(null, $"{path}: not a .npy, .pt or pickle file: {DescribeStart(path)}");
        }
    }

    private static (NpyArray theta, NpyArray x) Pick(object? o, string path, string thetaName, string xName, string what)
    {
        switch (o)
        {
            case object?[] { Length: 2 } t when t[0] is NpyArray a && t[1] is NpyArray b: return (a, b);
            case List<object?> { Count: 2 } l when l[0] is NpyArray a && l[1] is NpyArray b: return (a, b);
            case PickleDict d when d.ContainsKey(thetaName) && d.ContainsKey(xName):
                if (d[thetaName] is NpyArray ta && d[xName] is NpyArray xa) return (ta, xa);
                break;
        }
        throw new SbiDataException(null, $"{path}: expected (theta, x) as a tuple or list of two {what} or a dict with keys '{thetaName}' and '{xName}'; found {PickleValues.Describe(o)}");
    }

    /// <summary>Checks both arrays (2-D, float32 or float64, rows, columns) before any tensor is made, then converts.</summary>
    private static SimulationData FromArrays(NpyArray theta, NpyArray x, string source, string? thetaWhat = null, string? xWhat = null)
    {
        CheckArray(theta, thetaWhat ?? $"{source}: theta", "theta");
        CheckArray(x, xWhat ?? $"{source}: x", "x");
        if (theta.Shape[0] != x.Shape[0])
            throw new SbiDataException(null, $"{source}: theta has shape ({string.Join(", ", theta.Shape)}) and x has shape ({string.Join(", ", x.Shape)}); their first dimensions (the number of simulations) must be equal");
        return Create(theta.ToTensor(), x.ToTensor(), source);
    }

    private static void CheckArray(NpyArray a, string what, string role)
    {
        string shape = "(" + string.Join(", ", a.Shape) + ")";
        if (a.ElementType is not (NpyElementType.Float32 or NpyElementType.Float64))
            throw new SbiDataException(null, $"{what}: dtype {a.DType}, shape {shape}; {role} must be float32 or float64");
        if (a.NDim != 2)
            throw new SbiDataException(null, $"{what}: shape {shape} has {a.NDim} dimensions; {role} must be 2-D (simulations, features){(a.NDim == 1 ? ", e.g. reshape(-1, 1)" : "")}");
        if (a.Shape[0] == 0)
            throw new SbiDataException(null, $"{what}: shape {shape} has no rows; at least one simulation is needed");
        if (a.Shape[1] == 0)
            throw new SbiDataException(null, $"{what}: shape {shape} has no columns");
    }

    /// <summary>Validates, casts to float32 and takes ownership; on error disposes both.</summary>
    private static SimulationData Create(Tensor theta, Tensor x, string source, string? thetaWhat = null, string? xWhat = null)
    {
        try
        {
            Check(theta, thetaWhat ?? $"{source}: theta", "theta");
            Check(x, xWhat ?? $"{source}: x", "x");
            if (theta.shape[0] != x.shape[0])
                throw new SbiDataException(null, $"{source}: theta has shape ({string.Join(", ", theta.shape)}) and x has shape ({string.Join(", ", x.shape)}); their first dimensions (the number of simulations) must be equal");
            var t32 = ToFloat32(theta);
            var x32 = ToFloat32(x);
            if (!ReferenceEquals(t32, theta)) theta.Dispose();
            if (!ReferenceEquals(x32, x)) x.Dispose();
            return new SimulationData(t32, x32, source);
        }
        catch
        {
            theta.Dispose();
            x.Dispose();
            throw;
        }
    }

    private static void Check(Tensor t, string what, string role)
    {
        string shape = "(" + string.Join(", ", t.shape) + ")";
        if (t.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new SbiDataException(null, $"{what}: dtype {t.dtype}, shape {shape}; {role} must be float32 or float64");
        if (t.dim() != 2)
            throw new SbiDataException(null, $"{what}: shape {shape} has {t.dim()} dimensions; {role} must be 2-D (simulations, features){(t.dim() == 1 ? ", e.g. reshape(-1, 1)" : "")}");
        if (t.shape[0] == 0)
            throw new SbiDataException(null, $"{what}: shape {shape} has no rows; at least one simulation is needed");
        if (t.shape[1] == 0)
            throw new SbiDataException(null, $"{what}: shape {shape} has no columns");
    }

    /// <summary>t itself when already contiguous float32, else a new contiguous float32 copy (inputs are CPU).</summary>
    private static Tensor ToFloat32(Tensor t)
    {
        if (t.dtype == ScalarType.Float32 && t.is_contiguous()) return t;
        using var scope = torch.NewDisposeScope();
        return t.to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }
}
