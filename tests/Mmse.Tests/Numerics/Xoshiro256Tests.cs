using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class Xoshiro256Tests
{
    /// <summary>A plain transcription of xoshiro256** and SplitMix64 (Vigna's reference C), kept apart from the library's.</summary>
    private static IEnumerable<ulong> Reference(ulong seed)
    {
        var x = seed;
        ulong Mix()
        {
            x += 0x9E3779B97F4A7C15UL;
            var z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
        ulong[] s = [Mix(), Mix(), Mix(), Mix()];
        while (true)
        {
            var result = ulong.RotateLeft(s[1] * 5, 7) * 9;
            var t = s[1] << 17;
            s[2] ^= s[0];
            s[3] ^= s[1];
            s[1] ^= s[2];
            s[0] ^= s[3];
            s[2] ^= t;
            s[3] = ulong.RotateLeft(s[3], 45);
            yield return result;
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0xDEADBEEFUL)]
    public void Generator_matches_the_reference_algorithm(ulong seed)
    {
        var state = new Xoshiro256(seed);
        foreach (var expected in Reference(seed).Take(100))
            Assert.Equal(expected, state.Next());
    }

    [Fact]
    public void Rng_streams_are_the_generator_seeded_by_seed_and_stream()
    {
        var rng = new Rng(7, 3);
        var state = new Xoshiro256(7 ^ unchecked(3 * 0xD1B54A32D192ED03UL));
        for (var i = 0; i < 20; i++)
            Assert.Equal(state.Next(), rng.NextULong());
        Assert.NotEqual(new Rng(7, 3).NextULong(), new Rng(7, 4).NextULong());
    }
}
