using Mmse.Evaluation;

namespace Mmse.Tests.Evaluation;

public class SignificanceTests
{
    [Fact]
    public void Identical_variants_are_not_significant()
    {
        var a = Enumerable.Range(0, 200).Select(i => (i % 7) / 7.0).ToArray();
        var t = Significance.Compare(a, a);
        Assert.Equal(200, t.Pairs);
        Assert.Equal(0, t.Difference, 12);
        Assert.Equal(1.0, t.PValue, 12);
    }

    [Fact]
    public void A_consistent_improvement_is_significant_and_the_interval_covers_it()
    {
        var rng = new Random(3);
        var a = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        var b = a.Select(x => x + 0.05 + 0.02 * (rng.NextDouble() - 0.5)).ToArray();
        var t = Significance.Compare(a, b);
        Assert.True(t.PValue < 0.001, $"p = {t.PValue}");
        Assert.InRange(t.Difference, 0.045, 0.055);
        Assert.True(t.CiLow < t.Difference && t.Difference < t.CiHigh);
        Assert.True(t.CiLow > 0.04 && t.CiHigh < 0.06);
    }

    [Fact]
    public void Noise_without_a_shift_is_usually_not_significant()
    {
        var rng = new Random(5);
        var a = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        var t = Significance.Compare(a, b);
        Assert.True(t.PValue > 0.05, $"p = {t.PValue}");
    }

    [Fact]
    public void Requests_undefined_in_either_variant_are_left_out()
    {
        double[] a = [1, double.NaN, 0, 1];
        double[] b = [1, 1, double.NaN, 0];
        var t = Significance.Compare(a, b);
        Assert.Equal(2, t.Pairs);
        Assert.Equal(1.0, t.MeanA);
        Assert.Equal(0.5, t.MeanB);
    }

    [Fact]
    public void Same_seed_same_p_value()
    {
        var rng = new Random(9);
        var a = Enumerable.Range(0, 50).Select(_ => rng.NextDouble()).ToArray();
        var b = a.Select(x => x + 0.01 * (rng.NextDouble() - 0.3)).ToArray();
        Assert.Equal(Significance.Compare(a, b, 2000, 4), Significance.Compare(a, b, 2000, 4));
    }
}
