using Sbi.Format;
using Sbi.Numpy;
using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Package;

/// <summary>
/// The files of a posterior package as an untrusted reader sees them: a manifest names each file, and a name must be a
/// plain file name inside the package directory (no rooted path, no "..", no directory separator, no link leading out),
/// so a manifest can never make a reader open <c>/etc/passwd</c> or <c>../x</c>. A file whose digest the manifest records
/// must match it; its float initializers must be finite.
/// </summary>
public static class PackageFiles
{
    /// <summary>The path of <paramref name="file"/> inside <paramref name="packageDir"/>, checked.</summary>
    /// <exception cref="SbiDataException">the name is not a plain file name, or it is a link leading out of the package.</exception>
    /// <exception cref="FileNotFoundException">the file is missing.</exception>
    public static string Resolve(string packageDir, string file, string member)
    {
        string manifest = Path.Combine(packageDir, PosteriorManifest.FileName);
        if (string.IsNullOrEmpty(file) || file is "." or ".." || Path.IsPathRooted(file) || file.Contains('/') || file.Contains('\\')
            || file.Contains("..", StringComparison.Ordinal) || file.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || file.Contains(':'))
            throw new SbiDataException(manifest, $"\"{member}\" names '{file}'; expected a plain file name inside the package directory (no path, no '..').");
        string dir = Path.GetFullPath(packageDir);
        string path = Path.Combine(dir, file);
        if (!File.Exists(path)) throw new FileNotFoundException($"Posterior package '{packageDir}' lacks its graph file '{file}' (\"{member}\").", path);
        if (new FileInfo(path).LinkTarget is not null)
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "";
            if (!string.Equals(Path.GetDirectoryName(target), dir.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
                throw new SbiDataException(manifest, $"\"{member}\" names '{file}', a link to '{target}' outside the package directory; expected a file inside it.");
        }
        return path;
    }

    /// <summary>
    /// Reads a graph file, checks its digest against <paramref name="expectedSha256"/> (when recorded) and that its float
    /// initializers are finite; returns the bytes (the session is built from these very bytes, not by opening the path again).
    /// </summary>
    /// <exception cref="SbiDataException">the digest differs, the file is not an ONNX model, or an initializer is not finite.</exception>
    public static byte[] ReadGraph(string path, string? expectedSha256)
    {
        var bytes = File.ReadAllBytes(path);
        if (expectedSha256 is not null)
        {
            string actual = MemberDigests.Of(bytes);
            if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
                throw new SbiDataException(path, $"graph file is corrupt or altered: SHA-256 expected {expectedSha256}, actual {actual}.");
        }
        RequireFiniteInitializers(bytes, path);
        return bytes;
    }

    /// <summary>Throws naming the first float initializer (or Constant tensor) holding NaN or ±inf.</summary>
    public static void RequireFiniteInitializers(byte[] onnx, string source)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(onnx); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new SbiDataException(source, $"not an ONNX model: {e.Message}", e); }
        if (model.Graph is null) return;
        var tensors = model.Graph.Initializer.Concat(model.Graph.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T));
        foreach (var t in tensors)
        {
            if (t.DataType != (int)TensorProto.Types.DataType.Float) continue;
            var span = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span);
            for (int i = 0; i < span.Length; i++)
                if (!float.IsFinite(span[i]))
                    throw new SbiDataException(source, $"weight '{t.Name}' holds a non-finite value ({span[i]}) at index {i}; expected finite weights.");
        }
    }
}
