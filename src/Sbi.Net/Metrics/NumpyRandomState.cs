namespace Sbi.Metrics;

/// <summary>
/// NumPy's legacy <c>numpy.random.RandomState(seed)</c> for the two draws scikit-learn's MLP and KFold make:
/// <c>uniform</c>/<c>random_sample</c> and <c>shuffle</c> of a 1-D array. The same Mersenne Twister (MT19937,
/// Matsumoto and Nishimura 1998) seeded as NumPy seeds an integer (<c>mt19937_seed</c>, Knuth's initialisation
/// multiplier 1812433253), the same 53-bit doubles (<c>mt19937_next_double</c>: (a·2²⁶ + b) / 2⁵³ with a, b the top
/// 27 and 26 bits of two draws) and the same bounded integers (<c>random_interval</c>: mask to the smallest covering
/// power of two, redraw until within range), so a seed gives the numbers NumPy 1.17+ gives
/// (numpy/random/src/mt19937/mt19937.c, numpy/random/src/distributions/distributions.c, numpy/random/mtrand.pyx).
/// </summary>
internal sealed class NumpyRandomState : IRandomStream
{
    private const int N = 624, M = 397;
    private const uint MatrixA = 0x9908b0dfu, UpperMask = 0x80000000u, LowerMask = 0x7fffffffu;
    private readonly uint[] _mt = new uint[N];
    private int _pos;

    /// <summary>The state of <c>RandomState(seed)</c>; NumPy accepts 0 ≤ seed ≤ 2³² − 1.</summary>
    public NumpyRandomState(long seed)
    {
        if (seed < 0 || seed > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(seed), seed, "NumPy's RandomState takes a seed between 0 and 2^32 - 1.");
        uint s = (uint)seed;
        for (int i = 0; i < N; i++)
        {
            _mt[i] = s;
            s = unchecked(1812433253u * (s ^ (s >> 30)) + (uint)i + 1);
        }
        _pos = N;
    }

    /// <summary>The next 32-bit output (<c>mt19937_next32</c>).</summary>
    public uint NextUInt32()
    {
        if (_pos == N) Generate();
        uint y = _mt[_pos++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary><c>random_sample()</c>: a double in [0, 1) with 53 random bits.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary><c>uniform(low, high)</c>: low + (high − low)·random_sample().</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary><c>random_interval(max)</c>: a uniform integer in [0, max] by masked rejection (max &lt; 2³²).</summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint v;
        while ((v = NextUInt32() & mask) > max) { }
        return v;
    }

    /// <summary><c>shuffle(a)</c> of a 1-D array (<c>_shuffle_raw</c>: i from n − 1 down to 1, j = random_interval(i)).</summary>
    public void Shuffle(long[] a)
    {
        if ((ulong)a.Length > uint.MaxValue) throw new ArgumentException("arrays of 2^32 or more elements are not supported.", nameof(a));
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = (int)Interval((uint)i);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }

    private void Generate()
    {
        int k;
        uint y;
        for (k = 0; k < N - M; k++)
        {
            y = (_mt[k] & UpperMask) | (_mt[k + 1] & LowerMask);
            _mt[k] = _mt[k + M] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        }
        for (; k < N - 1; k++)
        {
            y = (_mt[k] & UpperMask) | (_mt[k + 1] & LowerMask);
            _mt[k] = _mt[k + (M - N)] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        }
        y = (_mt[N - 1] & UpperMask) | (_mt[0] & LowerMask);
        _mt[N - 1] = _mt[M - 1] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        _pos = 0;
    }
}
