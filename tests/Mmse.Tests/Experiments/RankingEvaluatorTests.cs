using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Experiments;

namespace Mmse.Tests.Experiments;

public class RankingEvaluatorTests
{
    private static (Catalog, SearchLog) Fixture()
    {
        var cb = new CatalogBuilder();
        for (var i = 0; i < 20; i++) cb.TryAdd(new CatalogItem($"i{i}", $"item {i}"));
        var catalog = cb.Build();
        var lb = new SearchLogBuilder();
        lb.Add("q3", null, SearchLog.NoTime, [3, 4, 5], [UserAction.Order, UserAction.Click, UserAction.None]);
        lb.Add("q7", null, SearchLog.NoTime, [7, 8], [UserAction.Click, UserAction.None]);
        lb.Add("q9", null, SearchLog.NoTime, [9, 1], [UserAction.Order, UserAction.None]);
        return (catalog, lb.Build());
    }

    /// <summary>Ranks item n first for query "qn", then the rest in index order.</summary>
    private static int[] Oracle(string query)
    {
        var first = int.Parse(query[1..], System.Globalization.CultureInfo.InvariantCulture);
        return [first, .. Enumerable.Range(0, 20).Where(i => i != first)];
    }

    [Fact]
    public void Serial_and_parallel_evaluation_agree_and_match_the_metric_code()
    {
        var (_, log) = Fixture();
        var serial = RankingEvaluator.Evaluate(log, Oracle, threads: 1);
        var parallel = RankingEvaluator.Evaluate(log, Oracle, threads: 2);
        Assert.Equal(serial.Metrics, parallel.Metrics);
        Assert.Equal(3, serial.PerRequest.Length);
        // q3: order at rank 1 -> mrr 1; q9: order 9 at rank 1 -> mrr 1; q7 has no order -> NaN.
        Assert.Equal(1.0, serial.Metrics["mrr_order"]);
        Assert.True(double.IsNaN(serial.PerRequest[1][7]));
        // recall_click@10: q3 {3,4} both in top 10 (4 is at rank 4) -> 1; q7 {7} -> 1; q9 {9} -> 1.
        Assert.Equal(1.0, serial.Metrics["recall_click@10"]);
        Assert.Equal(1.0, serial.RecallOrderCurve[0]);
    }

    [Fact]
    public void Truth_must_align_with_the_test_log()
    {
        var (_, log) = Fixture();
        var lb = new SearchLogBuilder();
        lb.Add("q3", null, SearchLog.NoTime, [3], [UserAction.Order]);
        Assert.Throws<MmseInputException>(() => RankingEvaluator.Evaluate(log, Oracle, lb.Build()));
    }

    [Fact]
    public void Truth_metrics_use_the_truth_targets()
    {
        var (_, log) = Fixture();
        var tb = new SearchLogBuilder();
        tb.Add("q3", null, SearchLog.NoTime, [3, 15], [UserAction.Order, UserAction.Order]);
        tb.Add("q7", null, SearchLog.NoTime, [7], [UserAction.Order]);
        tb.Add("q9", null, SearchLog.NoTime, [9], [UserAction.Order]);
        var result = RankingEvaluator.Evaluate(log, Oracle, tb.Build());
        // q3: item 15 sits at rank 15 (> 10): recall_order@10 = 1/2; the others 1.
        Assert.Equal((0.5 + 1 + 1) / 3, result.TruthMetrics!["recall_order@10"], 12);
        Assert.NotEqual(result.Metrics["recall_order@10"], result.TruthMetrics["recall_order@10"]);
    }
}

public class RankingEvaluatorPrecomputedTests
{
    [Fact]
    public void Precomputed_rankings_give_the_same_metrics_as_the_function()
    {
        var lb = new SearchLogBuilder();
        lb.Add("a", null, SearchLog.NoTime, [1, 2], [UserAction.Order, UserAction.None]);
        lb.Add("a", null, SearchLog.NoTime, [3], [UserAction.Order]);
        var log = lb.Build();
        int[][] rankings = [[2, 1], [3]];
        var precomputed = RankingEvaluator.Evaluate(log, rankings);
        // Both requests share the query text, yet each keeps its own ranking.
        Assert.Equal(0.5 * (0.5 + 1.0), precomputed.Metrics["mrr_order"], 12);
        Assert.Throws<ArgumentException>(() => RankingEvaluator.Evaluate(log, new int[1][]));
    }
}
