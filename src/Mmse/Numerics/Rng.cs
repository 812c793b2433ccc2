namespace Mmse.Numerics;

/// <summary>
/// Small seeded generator (xoshiro256** seeded by SplitMix64): identical sequences on every
/// platform and runtime, unlike System.Random's unspecified algorithm.
/// </summary>
public sealed class Rng
{
    private Xoshiro256 _state;

    public Rng(ulong seed, ulong stream = 0) => _state = new Xoshiro256(seed ^ unchecked(stream * 0xD1B54A32D192ED03UL));

    public ulong NextULong() => _state.Next();

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => n <= 0 ? 0 : (int)((NextULong() >> 33) % (ulong)n);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
