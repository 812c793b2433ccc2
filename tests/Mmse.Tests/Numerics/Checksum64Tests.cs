using System.Text;
using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class Checksum64Tests
{
    /// <summary>Pinned values (computed by an independent re-implementation): artifact checksums must never drift.</summary>
    [Fact]
    public void Known_values()
    {
        Assert.Equal(0x3fdf455f9dcf1e62UL, Checksum64.Of([]));
        Assert.Equal(0xc6286258a8ea2c6aUL, Checksum64.Of("abc"u8));
        Assert.Equal(0xe77dd5b4d4560aabUL, Checksum64.Of(Encoding.ASCII.GetBytes("MMSEMODL")));
        Assert.Equal(0xf345880713d697dfUL, Checksum64.Of([.. Enumerable.Range(0, 100).Select(i => (byte)i)]));
    }

    [Fact]
    public void Incremental_appends_equal_one_shot_for_every_split()
    {
        var data = new byte[300];
        new Random(3).NextBytes(data);
        for (var length = 0; length <= data.Length; length += 7)
        {
            var whole = Checksum64.Of(data.AsSpan(0, length));
            for (var split = 0; split <= length; split += 5)
            {
                var c = new Checksum64();
                c.Append(data.AsSpan(0, split));
                c.Append(data.AsSpan(split, length - split));
                Assert.Equal(whole, c.Value);
            }
            // Byte by byte, through the pending buffer only.
            var bytes = new Checksum64();
            for (var i = 0; i < length; i++)
                bytes.Append(data.AsSpan(i, 1));
            Assert.Equal(whole, bytes.Value);
        }
    }

    [Fact]
    public void A_flipped_bit_anywhere_changes_it()
    {
        var data = new byte[97];
        new Random(5).NextBytes(data);
        var original = Checksum64.Of(data);
        for (var i = 0; i < data.Length; i++)
        {
            foreach (var bit in new[] { 0, 7 })
            {
                data[i] ^= (byte)(1 << bit);
                Assert.NotEqual(original, Checksum64.Of(data));
                data[i] ^= (byte)(1 << bit);
            }
        }
        Assert.Equal(original, Checksum64.Of(data));
        // Length is part of it: a trailing zero byte changes the value.
        Assert.NotEqual(original, Checksum64.Of([.. data, 0]));
    }
}
