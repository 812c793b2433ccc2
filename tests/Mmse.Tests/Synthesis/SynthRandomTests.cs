using Mmse.Synthesis;
using Mmse.Text;

namespace Mmse.Tests.Synthesis;

public class SynthRandomTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(100)]
    public void Alias_sampler_draws_items_in_proportion_to_their_weights(int n)
    {
        var items = Enumerable.Range(0, n).Select(i => 1000 + i).ToArray();
        var weights = Enumerable.Range(0, n).Select(i => i % 5 == 3 ? 0.0 : 1.0 / (i + 1)).ToArray();
        var sampler = new AliasSampler(items, weights);
        var random = new SynthRandom(5, 6, 7);
        var counts = new int[n];
        const int Draws = 200_000;
        for (var d = 0; d < Draws; d++) counts[sampler.Sample(ref random) - 1000]++;
        var total = weights.Sum();
        for (var i = 0; i < n; i++)
        {
            var expected = Draws * weights[i] / total;
            // Four binomial standard deviations plus a little slack.
            Assert.InRange(counts[i], expected - 4 * Math.Sqrt(expected + 1) - 2, expected + 4 * Math.Sqrt(expected + 1) + 2);
        }
    }

    [Fact]
    public void Streams_differ_by_block_and_repeat_by_seed()
    {
        var a = new SynthRandom(1, 2, 3);
        var b = new SynthRandom(1, 2, 3);
        var c = new SynthRandom(1, 2, 4);
        var x = Enumerable.Range(0, 8).Select(_ => a.NextULong()).ToArray();
        Assert.Equal(x, Enumerable.Range(0, 8).Select(_ => b.NextULong()).ToArray());
        Assert.NotEqual(x, Enumerable.Range(0, 8).Select(_ => c.NextULong()).ToArray());
    }

    [Fact]
    public void Logistic_noise_has_unit_variance()
    {
        var random = new SynthRandom(9, 9, 9);
        var values = Enumerable.Range(0, 100_000).Select(_ => random.Logistic()).ToArray();
        Assert.InRange(values.Average(), -0.02, 0.02);
        Assert.InRange(values.Select(v => v * v).Average(), 0.97, 1.03);
    }

    [Fact]
    public void Token_hashes_are_the_hashes_of_the_tokens()
    {
        foreach (var text in new[] { "", "Kalo Running SNEAKERS 2-Pack", "凯洛 黑色跑步运动鞋 KAL-1234A", "a", "5G手机", "É école" })
        {
            var hashes = new List<int>();
            LexicalTokenizer.Hashes(text, hashes);
            var expected = LexicalTokenizer.Tokenize(text).Select(t =>
            {
                var h = 2166136261u;
                foreach (var ch in t) h = (h ^ ch) * 16777619u;
                return (int)h;
            });
            Assert.Equal(expected, hashes);
        }
    }
}
