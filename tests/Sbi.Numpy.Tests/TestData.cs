namespace Sbi.Numpy.Tests;

internal static class TestData
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "data");
    public static string Npy(string name) => Path.Combine(Dir, "npy", name);
    public static string Pt(string name) => Path.Combine(Dir, "pt", name);
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>A fresh temporary directory, deleted by <see cref="TempDir.Dispose"/>.</summary>
    public static TempDir Temp() => new();

    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sbi-numpy-" + Guid.NewGuid().ToString("N"));
        public TempDir() => Directory.CreateDirectory(Path);
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose()
        {
            try { Directory.Delete(Path, true); } catch (IOException) { }
        }
    }
}
