using System.IO.Compression;
using System.Text;

namespace Sbi.Onnx.Tests;

/// <summary>Test helper: rewrites an .npz, replacing or adding members (numpy .npy v1 format).</summary>
internal static class TestNpz
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="dest"/>; members named in <paramref name="replace"/> get new bytes, null drops a member.</summary>
    public static void Rewrite(string source, string dest, IReadOnlyDictionary<string, byte[]?> replace)
    {
        using var src = ZipFile.OpenRead(source);
        using var fs = File.Create(dest);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        var done = new HashSet<string>();
        foreach (var e in src.Entries)
        {
            string name = e.FullName[..^4];
            byte[]? bytes;
            if (replace.TryGetValue(name, out bytes)) { done.Add(name); if (bytes == null) continue; }
            else
            {
                using var s = e.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                bytes = ms.ToArray();
            }
            using var w = zip.CreateEntry(e.FullName).Open();
            w.Write(bytes);
        }
        foreach (var (name, bytes) in replace)
        {
            if (done.Contains(name) || bytes == null) continue;
            using var w = zip.CreateEntry(name + ".npy").Open();
            w.Write(bytes);
        }
    }

    /// <summary>A 0-d numpy unicode string array (what np.savez writes for a Python str).</summary>
    public static byte[] StringNpy(string value)
    {
        int n = Math.Max(1, value.Length);
        var body = new byte[4 * n];
        Encoding.UTF32.GetBytes(value, 0, value.Length, body, 0);
        return Npy($"<U{n}", "()", body);
    }

    private static byte[] Npy(string descr, string shape, byte[] body)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
        ms.Write(BitConverter.GetBytes((ushort)header.Length));
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(body);
        return ms.ToArray();
    }
}
