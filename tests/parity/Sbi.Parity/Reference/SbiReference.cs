using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Data;
using Sbi.Numpy;

namespace Sbi.Parity.Reference;

/// <summary>
/// The real Python sbi, in a separate host process (Python's torch and TorchSharp's libtorch cannot share one).
/// Started lazily on the first request, reused for the whole run, restarted after a crash or timeout, and
/// killed by <see cref="Dispose"/>. Where no reference is configured or sbi does not import,
/// <see cref="IsAvailable"/> is false with a reason: callers skip live cases rather than fail them.
/// </summary>
public sealed class SbiReference : IDisposable
{
    private static readonly Lazy<SbiReference> SharedInstance = new(() => new SbiReference());
    private readonly object _gate = new();
    private readonly string _tempRoot = Path.Combine(Path.GetTempPath(), $"sbi-parity-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    private HostProcess? _host;
    private string? _unavailable;
    private Dictionary<string, string> _versions = new();
    private int _requests;

    /// <summary>The instance shared by a test run or a CLI invocation.</summary>
    public static SbiReference Shared => SharedInstance.Value;

    /// <summary>Whether the shared instance was ever created (so teardown does not start one just to stop it).</summary>
    public static bool SharedCreated => SharedInstance.IsValueCreated;

    /// <summary>Deadline of the start-up (Python, numpy, torch and sbi imports).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(180);

    /// <summary>Deadline of a request when the caller gives none.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>Versions the reference reported (python, numpy, torch, sbi, nflows, ...); empty before start.</summary>
    public IReadOnlyDictionary<string, string> Versions => _versions;

    /// <summary>Where the reference comes from (settings source), once started.</summary>
    public string? Source { get; private set; }

    /// <summary>Starts the host if needed; false with the reason when no usable reference exists.</summary>
    public bool IsAvailable(out string reason)
    {
        lock (_gate)
        {
            if (_unavailable is null && (_host is null || _host.HasExited)) TryStart();
            reason = _unavailable ?? "";
            return _unavailable is null;
        }
    }

    /// <summary>
    /// Runs one case in Python. Inputs travel as .npy files; the reply's arrays are read back and the files deleted.
    /// Throws <see cref="ReferenceException"/> on a Python error, a timeout (host killed) or a crash.
    /// </summary>
    public ReferenceReply Request(string caseName, object? args = null, IReadOnlyDictionary<string, NpyArray>? inputs = null, TimeSpan? timeout = null)
    {
        lock (_gate)
        {
            if (!IsAvailable(out var reason)) throw new InvalidOperationException($"the Python reference is not available: {reason}");
            var dir = Directory.CreateDirectory(Path.Combine(_tempRoot, $"r{++_requests:D4}")).FullName;
            try
            {
                var request = new JsonObject
                {
                    ["case"] = caseName,
                    ["args"] = args is null ? new JsonObject() : JsonSerializer.SerializeToNode(args),
                    ["inputs"] = WriteInputs(inputs, dir),
                    ["out_dir"] = Path.Combine(dir, "out"),
                };
                _host!.WriteLine(request.ToJsonString());
                var line = _host.ReadLine(timeout ?? DefaultTimeout, $"case '{caseName}'");
                return ParseReply(line, caseName);
            }
            finally
            {
                if (_host is { HasExited: true }) { _host.Dispose(); _host = null; }
                TryDelete(dir);
            }
        }
    }

    private void TryStart()
    {
        var settings = ReferenceSettings.Discover(out var why);
        if (settings is null) { _unavailable = why; return; }
        var hostDll = ParityPaths.HostDll();
        if (hostDll is null)
        {
            _unavailable = "the parity host (Sbi.Parity.PythonHost.dll) was not built; build tests/parity/PythonHost";
            return;
        }
        Directory.CreateDirectory(_tempRoot);
        _host?.Dispose();
        _host = HostProcess.Start(settings, hostDll, ParityPaths.PythonDir(), _tempRoot);
        JsonObject hello;
        try
        {
            hello = JsonNode.Parse(_host.ReadLine(StartTimeout, "the start-up"))!.AsObject();
        }
        catch (Exception e) when (e is ReferenceException or JsonException)
        {
            _unavailable = $"the Python reference from {settings.Source} did not start: {e.Message}";
            _host.Dispose();
            _host = null;
            return;
        }
        _versions = ReadVersions(hello);
        if (hello["ok"]?.GetValue<bool>() != true)
        {
            // Typically "No module named 'sbi'": no importable sbi means no live parity, not a failure.
            var error = hello["error"]?.GetValue<string>() ?? "unknown error";
            _unavailable = $"sbi is not importable with the Python reference from {settings.Source}: {LastLine(error)}";
            _host.Dispose();
            _host = null;
            return;
        }
        Source = settings.Source;
    }

    private static JsonObject WriteInputs(IReadOnlyDictionary<string, NpyArray>? inputs, string dir)
    {
        var map = new JsonObject();
        if (inputs is null) return map;
        int i = 0;
        foreach (var (name, array) in inputs)
        {
            // Names may contain '/' and '.' (state-dict keys): files are numbered, the JSON maps names to them.
            var path = Path.Combine(dir, $"in{i++:D4}.npy");
            Npy.Write(path, array);
            map[name] = path;
        }
        return map;
    }

    private ReferenceReply ParseReply(string line, string caseName)
    {
        JsonObject reply;
        try { reply = JsonNode.Parse(line)!.AsObject(); }
        catch (JsonException e) { throw new ReferenceException($"case '{caseName}': the reference answered a line that is not JSON ({e.Message})", line); }
        if (reply["versions"] is JsonObject) _versions = ReadVersions(reply);
        if (reply["ok"]?.GetValue<bool>() != true)
            throw new ReferenceException($"case '{caseName}' failed in Python.", reply["error"]?.GetValue<string>() ?? line);
        var arrays = new Dictionary<string, NpyArray>();
        foreach (var (name, path) in reply["outputs"]?.AsObject() ?? new JsonObject())
            arrays[name] = Npy.Read(path!.GetValue<string>());
        return new ReferenceReply(arrays, reply["info"] as JsonObject ?? new JsonObject(), _versions);
    }

    private static Dictionary<string, string> ReadVersions(JsonObject o) =>
        (o["versions"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") ?? new();

    private static string LastLine(string text) => text.TrimEnd().Split('\n')[^1];

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Stops the host (closing its stdin, killing it if it does not leave) and removes the temporary files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _host?.Dispose();
            _host = null;
            if (Directory.Exists(_tempRoot)) TryDelete(_tempRoot);
        }
    }
}
