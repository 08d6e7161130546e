using NUnit.Framework;
using SkiaSharp;

namespace Sbi.Plots.Tests;

/// <summary>
/// Where the tests write their plots (a fresh temporary folder, or SBI_PLOTS_OUT to keep them for looking at) and the
/// check every plot gets: the file decodes as a PNG of the requested size and is not blank.
/// </summary>
internal static class PngCheck
{
    public static string Folder { get; } = Create();

    private static string Create()
    {
        var keep = Environment.GetEnvironmentVariable("SBI_PLOTS_OUT");
        var dir = string.IsNullOrEmpty(keep) ? Path.Combine(Path.GetTempPath(), $"sbi-plots-{Guid.NewGuid():N}") : keep;
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Decodes <paramref name="path"/> and checks its size and that it holds a drawing (many colours, ink in each quarter).</summary>
    public static SKBitmap Decoded(string path, int width, int height)
    {
        Assert.That(File.Exists(path), $"{path} was written");
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        var bitmap = SKBitmap.Decode(bytes);
        Assert.That(bitmap, Is.Not.Null, "decodes");
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((width, height)), "size");
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3) colours.Add((uint)bitmap.GetPixel(x, y));
        Assert.That(colours.Count, Is.GreaterThan(8), "more than a blank canvas");
        return bitmap;
    }

    /// <summary>The fraction of pixels in a rectangle that <paramref name="matches"/>.</summary>
    public static double Fraction(SKBitmap bitmap, SKRectI rect, Func<SKColor, bool> matches)
    {
        int hits = 0, total = 0;
        for (int y = rect.Top; y < rect.Bottom; y++)
            for (int x = rect.Left; x < rect.Right; x++)
            {
                total++;
                if (matches(bitmap.GetPixel(x, y))) hits++;
            }
        return (double)hits / total;
    }

    /// <summary>Shades of C0 (#1f77b4) at any opacity over white or grey: blue well above red.</summary>
    public static bool Blue(SKColor c) => c.Blue - c.Red > 50 && c.Blue >= c.Green;

    /// <summary>Shades of C1 (#ff7f0e): red well above blue, green between.</summary>
    public static bool Orange(SKColor c) => c.Red - c.Blue > 80 && c.Green > c.Blue + 20 && c.Red > c.Green;

    /// <summary>Shades of firebrick (#b22222) and the points' red (#d62728): red well above green and blue, those alike.</summary>
    public static bool Red(SKColor c) => c.Red - c.Green > 60 && c.Red - c.Blue > 60 && Math.Abs(c.Green - c.Blue) < 30;

    /// <summary>Pure white.</summary>
    public static bool White(SKColor c) => c.Red == 255 && c.Green == 255 && c.Blue == 255;
}
