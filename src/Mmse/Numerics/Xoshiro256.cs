namespace Mmse.Numerics;

/// <summary>
/// The state of xoshiro256** (Blackman and Vigna), seeded by SplitMix64: the one generator behind
/// every seeded stream in Mmse (<see cref="Rng"/> for training, the synthetic marketplace's
/// per-block streams). Identical sequences on every platform and runtime, unlike System.Random.
/// A mutable struct: keep it in a field or a local and call <see cref="Next"/> on that.
/// </summary>
internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the four words from SplitMix64 started at <paramref name="seed"/>.</summary>
    public Xoshiro256(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong Next()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }
}
