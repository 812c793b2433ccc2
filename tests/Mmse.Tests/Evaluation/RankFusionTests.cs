using Mmse.Data;
using Mmse.Evaluation;

namespace Mmse.Tests.Evaluation;

public class RankFusionTests
{
    [Fact]
    public void Reciprocal_rank_fusion_matches_hand_computed_order()
    {
        // k = 60: item 2 is 2nd and 1st -> 1/62 + 1/61; item 1 is 1st and absent -> 1/61; item 3 is 3rd and 2nd -> 1/63 + 1/62.
        var fused = RankFusion.Reciprocal([[1, 2, 3], [2, 3, 4]], depth: 10);
        Assert.Equal([2, 3, 1, 4], fused);
    }

    [Fact]
    public void Depth_bounds_the_result_and_ties_keep_first_appearance()
    {
        var fused = RankFusion.Reciprocal([[7, 8], [9, 10]], depth: 3);
        Assert.Equal([7, 9, 8], fused);
    }

    /// <summary>A ranked list of <paramref name="length"/> distinct items from [0, universe), scores non-increasing with ties.</summary>
    private static RankedList RandomList(Random rng, int length, int universe)
    {
        var items = Enumerable.Range(0, universe).OrderBy(_ => rng.Next()).Take(length).ToArray();
        var scores = new float[items.Length];
        var score = (float)(rng.NextDouble() * 10);
        for (var i = 0; i < scores.Length; i++)
        {
            // Every third step repeats the score, so the fusion meets ties in both rules.
            if (i % 3 != 0) score -= (float)rng.NextDouble();
            scores[i] = score;
        }
        return new RankedList(items, scores);
    }

    [Fact]
    public void The_fast_pair_fusion_equals_both_references_over_random_lists_and_every_setting()
    {
        var rng = new Random(11);
        FusionSetting[] settings = [FusionSetting.Rrf(0), FusionSetting.Rrf(1), FusionSetting.Rrf(60), FusionSetting.Rrf(500),
            FusionSetting.Weighted(0), FusionSetting.Weighted(0.3), FusionSetting.Weighted(0.5), FusionSetting.Weighted(1)];
        for (var trial = 0; trial < 200; trial++)
        {
            var universe = 1 + rng.Next(300);
            var first = RandomList(rng, rng.Next(Math.Min(universe, 120) + 1), universe);
            var second = RandomList(rng, rng.Next(Math.Min(universe, 120) + 1), universe);
            var depth = rng.Next(1, 250);
            var pair = RankFusion.Pair(first, second);
            Assert.Equal(first.Items.Union(second.Items).Count(), pair.Count);
            foreach (var setting in settings)
            {
                var expected = setting.Method == FusionMethod.Reciprocal
                    ? RankFusion.Reciprocal([first.Items, second.Items], depth, setting.K)
                    : RankFusion.WeightedReference([first, second], [setting.Weight, 1 - setting.Weight], depth);
                Assert.Equal(expected, pair.Fuse(setting, depth));
                Assert.Equal(expected, RankFusion.Fuse(first, second, setting, depth));
            }
        }
    }

    [Fact]
    public void Weighted_fusion_at_the_ends_is_one_list_alone_and_rrf_rewards_agreement()
    {
        RankedList a = new([1, 2, 3], [0.9f, 0.5f, 0.1f]);
        RankedList b = new([3, 4, 1], [12f, 7f, 2f]);
        Assert.Equal([1, 2, 3, 4], RankFusion.Fuse(a, b, FusionSetting.Weighted(1), 10));
        Assert.Equal([3, 4, 1, 2], RankFusion.Fuse(a, b, FusionSetting.Weighted(0), 10));
        // Items 1 and 3 are in both lists: RRF puts them first; 1 precedes 3 (1/61 + 1/63 both, first seen first).
        Assert.Equal([1, 3, 2, 4], RankFusion.Fuse(a, b, FusionSetting.Rrf(60), 10));
        Assert.Equal([1, 3], RankFusion.Fuse(a, b, FusionSetting.Rrf(60), 2));
        Assert.Equal("rrf k=60", FusionSetting.Rrf(60).ToString());
        Assert.Equal("weighted w=0.7", FusionSetting.Weighted(0.7).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => FusionSetting.Weighted(1.5));
        Assert.Throws<ArgumentException>(() => RankFusion.Pair(new RankedList([1, 2], [1f]), b));
    }

    /// <summary>
    /// Validation requests where each ordered item sits at rank 200 of both rankers' 400-item lists
    /// and every other item is in one list only: only fusions that reward agreement strongly lift it
    /// into the top 100 (RRF with k = 60 leaves it at rank 141, k = 100 at rank 100; k = 200 and score fusion at 0.5 put it first).
    /// </summary>
    private static (SearchLog Log, RankedList[] First, RankedList[] Second) AgreementCase(int requests, int rank = 200, int length = 400)
    {
        var builder = new SearchLogBuilder();
        var first = new RankedList[requests];
        var second = new RankedList[requests];
        for (var r = 0; r < requests; r++)
        {
            var offset = r * 10_000;
            var relevant = offset;
            int[] a = [.. Enumerable.Range(0, length).Select(i => i == rank - 1 ? relevant : offset + 1 + i)];
            int[] b = [.. Enumerable.Range(0, length).Select(i => i == rank - 1 ? relevant : offset + 5_000 + i)];
            float[] scores = [.. Enumerable.Range(0, length).Select(i => 1f - (float)i / (length - 1))];
            first[r] = new RankedList(a, scores);
            second[r] = new RankedList(b, scores);
            builder.Add($"q{r}", null, SearchLog.NoTime, [relevant, offset + 1], [UserAction.Order, UserAction.None]);
        }
        return (builder.Build(), first, second);
    }

    [Fact]
    public void Tuning_picks_the_setting_with_the_best_validation_recall_not_the_default()
    {
        var (log, first, second) = AgreementCase(6);
        var tuning = FusionTuning.Tune(log, first, second, threads: 2);
        Assert.Equal(FusionTuning.Metric, tuning.Metric);
        Assert.Equal(6, tuning.Requests);
        Assert.Equal(0.0, tuning.ValueOf(FusionSetting.Rrf(60)));
        Assert.Equal(0.0, tuning.ValueOf(FusionSetting.Rrf(40)));
        Assert.Equal(0.0, tuning.ValueOf(FusionSetting.Weighted(1)));
        Assert.Equal(1.0, tuning.ValueOf(FusionSetting.Weighted(0.5)));
        // Several settings reach 1 (k = 100 just: 99 items stay above); the earliest in grid order (RRF constants come first) wins.
        Assert.Equal(FusionSetting.Rrf(100), tuning.Best);
        Assert.Equal(1.0, tuning.BestValue);
        Assert.Equal(new FusionGrid().Settings().Count, tuning.Trials.Count);
        // The value is the plain metric of the fused lists.
        var acc = new MetricsAccumulator();
        var values = new double[RetrievalMetrics.Count];
        for (var r = 0; r < log.Count; r++)
        {
            RetrievalMetrics.Compute(RankFusion.Reciprocal([first[r].Items, second[r].Items], 1000, 100), log.ItemsOf(r), log.ActionsOf(r), values);
            acc.Add(values);
        }
        Assert.Equal(acc.Averages()[FusionTuning.Metric], tuning.BestValue, 12);

        // With a grid of RRF constants only up to 60, only score fusion can do it.
        var narrow = FusionTuning.Tune(log, first, second, new FusionGrid { RrfK = [60, 10], Weights = [1.0, 0.0, 0.4] });
        Assert.Equal(FusionSetting.Weighted(0.4), narrow.Best);
    }

    [Fact]
    public void Tuning_keeps_the_first_setting_on_a_tie_and_falls_back_to_clicks_without_orders()
    {
        var (log, first, second) = AgreementCase(3, rank: 1);
        var tuning = FusionTuning.Tune(log, first, second, threads: 1);
        Assert.Equal(FusionSetting.Rrf(RankFusion.DefaultK), tuning.Best);
        Assert.All(tuning.Trials, t => Assert.Equal(1.0, t.Value));

        var clicks = new SearchLogBuilder();
        for (var r = 0; r < log.Count; r++)
            clicks.Add(log.Queries[r], null, SearchLog.NoTime, log.ItemsOf(r), [UserAction.Click, UserAction.None]);
        Assert.Equal(FusionTuning.FallbackMetric, FusionTuning.Tune(clicks.Build(), first, second).Metric);
        Assert.Throws<ArgumentException>(() => FusionTuning.Tune(log, first[..2], second));
    }

    [Fact]
    public void Tuning_keeps_the_standard_constant_unless_another_setting_beats_it_by_more_than_noise()
    {
        // 20 requests, 3 settings (0 = the standard). Setting 1 wins 2 requests and loses 1: +0.05 on
        // average but within one standard error (0.088), so the standard stays although it is lower.
        var values = new double[20, 3];
        values[0, 1] = 1;
        values[1, 1] = 1;
        values[2, 0] = 1;
        var all = Enumerable.Repeat(true, 20).ToArray();
        Assert.Equal(0, FusionTuning.Choose(values, all));
        // Setting 2 wins 8 requests and loses none: +0.4, well beyond its standard error (0.11).
        for (var r = 10; r < 18; r++)
            values[r, 2] = 1;
        Assert.Equal(2, FusionTuning.Choose(values, all));
        // A request that is not defined does not count: without the 8 the win is gone.
        var some = all.Select((_, r) => r < 10).ToArray();
        Assert.Equal(0, FusionTuning.Choose(values, some));
        // A consistent gain on every request has no spread at all and is taken.
        var consistent = new double[5, 2];
        for (var r = 0; r < 5; r++)
            consistent[r, 1] = 0.01;
        Assert.Equal(1, FusionTuning.Choose(consistent, [true, true, true, true, true]));
    }
}
