using Python.Runtime;
using Sbi.Numpy;
using Sbi.Numpy.Pickle;

namespace Sbi.Numpy.Python;

/// <summary>Python (or numpy) is not available to load a pickle. <see cref="Exception.Message"/> says why.</summary>
public sealed class PythonUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PythonUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Loads Python pickles of numpy arrays (one array, a <c>(theta, x)</c> tuple, a list, a dict) through an
/// embedded CPython (pythonnet) with numpy.
/// </summary>
/// <remarks>
/// <para>Results use the same .NET types as <see cref="TorchPt.Load(string, ReadLimits?)"/>, with numpy arrays as
/// <see cref="NpyArray"/>: <c>object?[]</c> (tuple), <c>List&lt;object?&gt;</c>, <see cref="PickleDict"/>,
/// string, long, double, bool, byte[], null.</para>
/// <para>Safety: unpickling runs through a restricted <c>pickle.Unpickler</c> whose <c>find_class</c>
/// only admits numpy's array/dtype/scalar reconstructors and a few builtins, so a pickle cannot run
/// arbitrary code. Pickles holding PyTorch objects are refused on purpose: importing Python's torch into a
/// process that has TorchSharp's libtorch crashes the process (use <c>torch.save</c> + <see cref="TorchPt"/>).</para>
/// <para>Python library: the environment variable <c>SBI_PYTHON_DLL</c>, else <c>PYTHONNET_PYDLL</c>,
/// else Debian's <c>/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0</c> or another
/// <c>libpython3.*.so.1.0</c> found in the usual library folders. Python is initialized once per process
/// (unless the host already did) and never shut down.</para>
/// </remarks>
public static class PythonPickle
{
    /// <summary>Debian 12's CPython library.</summary>
    public const string DefaultPythonDll = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";

    private static readonly object Gate = new();
    private static bool _ready;
    private static string? _failure;
    private static PyObject? _helper;

    private const string HelperSource = """
import pickle
import numpy as np

_NUMPY_MODULES = {"numpy", "numpy.core.multiarray", "numpy.core.numeric", "numpy._core.multiarray", "numpy._core.numeric"}
_NUMPY_NAMES = {"_reconstruct", "scalar", "dtype", "ndarray", "_frombuffer"}
_BUILTINS = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"),
             ("builtins", "bytearray"), ("builtins", "slice"), ("_codecs", "encode"), ("copy_reg", "_reconstructor"),
             ("__builtin__", "set"), ("__builtin__", "frozenset")}

class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] == "torch":
            raise pickle.UnpicklingError(
                "the pickle holds PyTorch objects (%s.%s); Python's torch cannot be loaded next to TorchSharp. "
                "Save tensors with torch.save(...) and load them as a .pt file instead" % (module, name))
        if (module in _NUMPY_MODULES and name in _NUMPY_NAMES) or (module, name) in _BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            "refusing to load %s.%s: only numpy arrays, tuples, lists, dicts, strings and numbers are allowed"
            % (module, name))

def load(path):
    with open(path, "rb") as f:
        return _Restricted(f).load()

def kind(o):
    if o is None: return "none"
    if isinstance(o, (bool, np.bool_)): return "bool"
    if isinstance(o, np.ndarray) or isinstance(o, np.generic): return "array"
    if isinstance(o, int): return "int"
    if isinstance(o, float): return "float"
    if isinstance(o, str): return "str"
    if isinstance(o, (bytes, bytearray)): return "bytes"
    if isinstance(o, tuple): return "tuple"
    if isinstance(o, list): return "list"
    if isinstance(o, dict): return "dict"
    return "other:" + type(o).__module__ + "." + type(o).__qualname__

def array_parts(o):
    a = np.ascontiguousarray(np.asarray(o))
    flat = a.reshape(-1).view(np.uint8) if a.dtype.kind != "O" else a  # 1-D bytes: pythonnet reads only 1-D buffers
    return a.dtype.str, tuple(int(d) for d in a.shape), int(a.nbytes), flat
""";

    /// <summary>The Python library that would be used, or null if none is found.</summary>
    public static string? FindPythonDll()
    {
        foreach (var env in new[] { "SBI_PYTHON_DLL", "PYTHONNET_PYDLL" })
        {
            var v = Environment.GetEnvironmentVariable(env);
            if (!string.IsNullOrWhiteSpace(v)) return v;
        }
        if (File.Exists(DefaultPythonDll)) return DefaultPythonDll;
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib" })
        {
            if (!Directory.Exists(dir)) continue;
            var hit = Directory.GetFiles(dir, "libpython3.*.so.1.0").OrderDescending().FirstOrDefault();
            if (hit != null) return hit;
        }
        return null;
    }

    /// <summary>The Python library to load; throws <see cref="PythonUnavailableException"/> saying what to
    /// install or set when there is none.</summary>
    internal static string ResolvePythonDll()
    {
        var dll = FindPythonDll();
        if (dll == null)
            throw new PythonUnavailableException($"no Python library found: set SBI_PYTHON_DLL to a libpython3.x.so, or install Debian's libpython3.11 and python3-numpy (expected {DefaultPythonDll})");
        if (!File.Exists(dll))
            throw new PythonUnavailableException($"Python library '{dll}' does not exist (from SBI_PYTHON_DLL or PYTHONNET_PYDLL)");
        return dll;
    }

    /// <summary>Whether Python with numpy can be used; when not, <paramref name="reason"/> says why.
    /// Initializes Python on first use.</summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            EnsureReady();
            reason = "";
            return true;
        }
        catch (PythonUnavailableException e)
        {
            reason = e.Message;
            return false;
        }
    }

    private static void EnsureReady()
    {
        lock (Gate)
        {
            if (_ready) return;
            if (_failure != null) throw new PythonUnavailableException(_failure);
            try
            {
                if (!PythonEngine.IsInitialized)
                {
                    var dll = ResolvePythonDll();
                    Runtime.PythonDLL = dll;
                    try
                    {
                        PythonEngine.Initialize();
                        PythonEngine.BeginAllowThreads();
                    }
                    catch (Exception e) when (e is not PythonUnavailableException)
                    {
                        throw Fail($"cannot start Python from '{dll}': {e.Message}", e);
                    }
                }
                using (Py.GIL())
                {
                    try
                    {
                        _helper = PyModule.FromString("sbi_compat_pickle", HelperSource);
                    }
                    catch (PythonException e)
                    {
                        throw Fail($"Python started but numpy could not be imported ({e.Message}); install numpy (Debian: python3-numpy)", e);
                    }
                }
                _ready = true;
            }
            catch (PythonUnavailableException)
            {
                throw;
            }
        }
    }

    private static PythonUnavailableException Fail(string message, Exception? inner = null)
    {
        _failure = message;
        return new PythonUnavailableException(message, inner);
    }

    /// <summary>Unpickles <paramref name="path"/> (numpy arrays and plain containers only).</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="PythonUnavailableException">no usable Python with numpy.</exception>
    /// <exception cref="SbiDataException">the pickle is corrupt, truncated, or holds other objects;
    /// the message names the file.</exception>
    public static object? Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"pickle file not found: {path}", path);
        EnsureReady();
        using (Py.GIL())
        {
            PyObject obj;
            try
            {
                obj = _helper!.InvokeMethod("load", new PyString(Path.GetFullPath(path)));
            }
            catch (PythonException e)
            {
                throw new SbiDataException(null, $"{path}: cannot unpickle: {e.Type.Name}: {e.Message}", e);
            }
            using (obj)
                return Convert(obj, path, "", 0, new int[1]);
        }
    }

    /// <summary>Unpickles a file that holds one numpy array.</summary>
    public static NpyArray LoadArray(string path)
    {
        var o = Load(path);
        return o as NpyArray ?? throw new SbiDataException(null, $"{path}: expected one numpy array, found {PickleValues.Describe(o)}");
    }

    // Python's unpickler builds self-referencing and deeply nested objects without complaint; converting them is this
    // recursion, so the depth (a cycle never ends) and the number of values made (shared references are converted
    // once per reference) are bounded as Sbi.Numpy's own reader bounds them (ReadLimits.Default).
    private static object? Convert(PyObject o, string path, string where, int depth, int[] made)
    {
        var limits = ReadLimits.Default;
        if (depth > limits.MaxNestingDepth)
            throw new SbiDataException(null, $"{path}: nesting deeper than {limits.MaxNestingDepth} levels at {where} (a self-referencing or hostile pickle)");
        if (++made[0] > limits.MaxPickleValues)
            throw new SbiDataException(null, $"{path}: more than {limits.MaxPickleValues:N0} values (shared references are expanded once per use)");
        string kind;
        using (var k = _helper!.InvokeMethod("kind", o)) kind = k.As<string>();
        string at = where.Length == 0 ? "" : $" at {where}";
        switch (kind)
        {
            case "none": return null;
            case "bool": return o.IsTrue();
            case "int":
                try { return o.As<long>(); }
                catch (Exception e) { throw new SbiDataException(null, $"{path}: integer{at} does not fit in 64 bits", e); }
            case "float": return o.As<double>();
            case "str": return o.As<string>();
            case "bytes":
                return ReadBuffer(o, (int)o.Length());
            case "array": return ToNpy(o, path, at);
            case "tuple":
            case "list":
                {
                    var items = new List<object?>();
                    int i = 0;
                    foreach (PyObject item in new PyIterable(o))
                        using (item) items.Add(Convert(item, path, $"{where}[{i++}]", depth + 1, made));
                    return kind == "tuple" ? items.ToArray() : items;
                }
            case "dict":
                {
                    var d = new PickleDict();
                    using var pyItems = o.InvokeMethod("items");
                    foreach (PyObject kv in new PyIterable(pyItems))
                        using (kv)
                        {
                            using var key = kv[0];
                            using var value = kv[1];
                            var k = Convert(key, path, where + "{key}", depth + 1, made) ?? throw new SbiDataException(null, $"{path}: dict{at} has a None key");
                            d.Set(k, Convert(value, path, $"{where}[{(k is string s ? "'" + s + "'" : k)}]", depth + 1, made));
                        }
                    return d;
                }
            default:
                throw new SbiDataException(null, $"{path}: unsupported Python value{at} of type {kind["other:".Length..]}; expected numpy arrays, tuples, lists, dicts, strings or numbers");
        }
    }

    private static NpyArray ToNpy(PyObject o, string path, string at)
    {
        using var parts = _helper!.InvokeMethod("array_parts", o);
        string descr = parts[0].As<string>();
        long[] shape;
        using (var s = parts[1]) shape = s.As<long[]>();
        long nbytes = parts[2].As<long>();
        Npy.CheckDescr(descr, $"{path}: numpy array{at}");
        if (nbytes > Array.MaxLength) throw new SbiDataException(null, $"{path}: numpy array{at} has {nbytes} bytes, over one .NET array's limit");
        using var arr = parts[3];
        byte[] data = nbytes == 0 ? Array.Empty<byte>() : ReadBuffer(arr, (int)nbytes);
        return Npy.FromParts(descr, shape, data, $"{path}: numpy array{at}");
    }

    private static byte[] ReadBuffer(PyObject o, int length)
    {
        var data = new byte[length];
        if (length == 0) return data;
        // Never request PyBUF.FORMATS: it aborts the process (double free, pythonnet issue #2371).
        // PyBUF.SIMPLE gives numpy buffers ndim 0, which PyBuffer.Read refuses ("Multidimensional arrays,
        // scalars ... not supported"); PyBUF.ND on the 1-D uint8 view made by array_parts works.
        using var buf = o.GetBuffer(PyBUF.ND);
        buf.Read(data, 0, length, 0);
        return data;
    }
}
