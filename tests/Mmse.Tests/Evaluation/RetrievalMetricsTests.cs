using Mmse.Data;
using Mmse.Evaluation;

namespace Mmse.Tests.Evaluation;

public class RetrievalMetricsTests
{
    private static double[] Compute(int[] ranked, int[] items, UserAction[] actions)
    {
        var values = new double[RetrievalMetrics.Count];
        RetrievalMetrics.Compute(ranked, items, actions, values);
        return values;
    }

    private static double Value(double[] values, string name) => values[RetrievalMetrics.Names.ToList().IndexOf(name)];

    [Fact]
    public void Hand_computed_values()
    {
        // Judged: 10 order, 11 click, 12 none, 13 cart. Ranked: 12 first, 10 second, 13 fourth; 11 absent.
        var values = Compute([12, 10, 99, 13, 98], [10, 11, 12, 13], [UserAction.Order, UserAction.Click, UserAction.None, UserAction.Cart]);

        Assert.Equal(1.0, Value(values, "recall_order@10"));
        Assert.Equal(1.0, Value(values, "recall_order@100"));
        Assert.Equal(1.0, Value(values, "recall_order@1000"));
        Assert.Equal(2.0 / 3, Value(values, "recall_click@10"), 12);
        Assert.Equal(2.0 / 3, Value(values, "recall_click@1000"), 12);
        Assert.Equal(0.5, Value(values, "mrr_order"));

        // gains 2^g - 1: order 7, cart 2^2.5 - 1, click 3, none 0; ranks 1 and 3 (0-based) -> log2(3), log2(5).
        var cart = Math.Pow(2, 2.5) - 1;
        var dcg = 7 / Math.Log2(3) + cart / Math.Log2(5);
        var ideal = 7 / Math.Log2(2) + cart / Math.Log2(3) + 3 / Math.Log2(4);
        Assert.Equal(dcg / ideal, Value(values, "ndcg@10"), 12);
    }

    [Fact]
    public void Cutoffs_and_depth_are_respected()
    {
        // The ordered item at 0-based rank 150: inside @1000, outside @10 and @100; mrr 1/151.
        var ranked = Enumerable.Range(1000, 1200).ToArray();
        ranked[150] = 7;
        var values = Compute(ranked, [7], [UserAction.Order]);
        Assert.Equal(0.0, Value(values, "recall_order@10"));
        Assert.Equal(0.0, Value(values, "recall_order@100"));
        Assert.Equal(1.0, Value(values, "recall_order@1000"));
        Assert.Equal(1.0 / 151, Value(values, "mrr_order"), 15);
        Assert.Equal(0.0, Value(values, "ndcg@10"));

        // At rank 1000 (the 1001st) it is beyond the depth: mrr 0, recall@1000 0.
        ranked[150] = 5;
        ranked[1000] = 7;
        values = Compute(ranked, [7], [UserAction.Order]);
        Assert.Equal(0.0, Value(values, "recall_order@1000"));
        Assert.Equal(0.0, Value(values, "mrr_order"));
    }

    [Fact]
    public void Empty_target_sets_give_NaN()
    {
        // No order: the order metrics are undefined, the click metrics are not.
        var clickOnly = Compute([3, 4], [4, 5], [UserAction.Click, UserAction.None]);
        Assert.True(double.IsNaN(Value(clickOnly, "recall_order@10")));
        Assert.True(double.IsNaN(Value(clickOnly, "mrr_order")));
        Assert.Equal(1.0, Value(clickOnly, "recall_click@10"));
        Assert.Equal(3 / Math.Log2(3) / 3, Value(clickOnly, "ndcg@10"), 12);

        // Nothing but exposures, or nothing judged at all: every metric undefined.
        foreach (var values in new[] { Compute([1, 2], [1, 2], [UserAction.None, UserAction.None]), Compute([1, 2], [], []) })
            Assert.All(values, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Accumulator_averages_each_metric_over_requests_that_define_it()
    {
        var accumulator = new MetricsAccumulator();
        accumulator.Add(Compute([1], [1], [UserAction.Order]));        // order found at rank 1
        accumulator.Add(Compute([9], [2], [UserAction.Click]));        // click missed; no order
        accumulator.Add(Compute([9], [3], [UserAction.None]));         // nothing defined
        var averages = accumulator.Averages();

        Assert.Equal(2, accumulator.Requests);
        Assert.Equal(1.0, averages["recall_order@10"]);   // one request defines it
        Assert.Equal(0.5, averages["recall_click@10"]);   // (1 + 0) / 2
        Assert.Equal(1.0, averages["mrr_order"]);
        Assert.Equal(RetrievalMetrics.Names, averages.Keys);
    }
}
