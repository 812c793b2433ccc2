using Mmse.Evaluation;

namespace Mmse.Tests.Evaluation;

public class SeedStatisticsTests
{
    [Fact]
    public void Summarize_gives_mean_sample_std_and_range()
    {
        var s = SeedStatistics.Summarize([4, 1, 3, 2]);
        Assert.Equal(4, s.Count);
        Assert.Equal(2.5, s.Mean, 12);
        Assert.Equal(Math.Sqrt(5.0 / 3), s.Std, 12);
        Assert.Equal(1, s.Min);
        Assert.Equal(4, s.Max);
        Assert.Equal(0, SeedStatistics.Summarize([0.7]).Std);
        Assert.Throws<ArgumentException>(() => SeedStatistics.Summarize([]));
    }

    [Theory]
    // Closed forms: one degree of freedom is Cauchy, p = 1 − 2·atan(t)/π; two give p = 1 − t/√(t² + 2).
    [InlineData(1.0, 1, 0.5)]
    [InlineData(3.0, 1, 0.204833)]
    [InlineData(2.0, 2, 0.183503)]
    [InlineData(4.0, 2, 0.057191)]
    [InlineData(-4.0, 2, 0.057191)]
    // Table values: the 0.975 quantiles of t with 4 and 10 degrees of freedom.
    [InlineData(2.776445, 4, 0.05)]
    [InlineData(2.228139, 10, 0.05)]
    [InlineData(0.0, 5, 1.0)]
    public void Student_tail_matches_known_values(double t, int degrees, double p) =>
        Assert.Equal(p, SeedStatistics.StudentTwoSided(t, degrees), 5);

    [Fact]
    public void Compare_is_a_paired_t_test_over_seeds_from_three_seeds_on()
    {
        var c = SeedStatistics.Compare([0.5, 0.6, 0.7], [0.6, 0.8, 0.8]);
        Assert.Equal(3, c.Seeds);
        Assert.Equal(0.4 / 3, c.MeanDifference, 12);
        Assert.Equal(4.0, c.T, 9);
        Assert.Equal(1 - 4 / Math.Sqrt(18), c.PValue, 9);
        Assert.False(c.IsSignificant());
        var two = SeedStatistics.Compare([0.5, 0.6], [0.6, 0.8]);
        Assert.Equal(0.15, two.MeanDifference, 12);
        Assert.True(double.IsNaN(two.PValue));
        Assert.False(two.IsSignificant());
        // Equal shifts on every seed: beyond doubt; none at all: p = 1.
        Assert.Equal(0, SeedStatistics.Compare([0.5, 0.6, 0.7], [0.6, 0.7, 0.8]).PValue, 12);
        Assert.Equal(1, SeedStatistics.Compare([0.5, 0.6, 0.7], [0.5, 0.6, 0.7]).PValue);
        Assert.Throws<ArgumentException>(() => SeedStatistics.Compare([1, 2], [1]));
    }
}
