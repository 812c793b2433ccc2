using Mmse.Data;
using Mmse.Evaluation;

namespace Mmse.Tests.Evaluation;

public class RecallCurveTests
{
    [Fact]
    public void Curve_matches_hand_computed_recall_at_every_k()
    {
        var curve = new RecallCurve(maxK: 5);
        // Request 1: two ordered items, found at ranks 1 and 4 (0-based 0 and 3).
        curve.Add([10, 11, 12, 13, 14], [10, 13, 11], [UserAction.Order, UserAction.Order, UserAction.Click]);
        // Request 2: one ordered item, never found.
        curve.Add([1, 2, 3], [9], [UserAction.Order]);
        // Request 3: no ordered item: ignored.
        curve.Add([1, 2, 3], [1], [UserAction.Click]);
        var v = curve.Values();
        Assert.Equal(2, curve.Requests);
        Assert.Equal([0.25, 0.25, 0.25, 0.5, 0.5], v);
    }

    [Fact]
    public void Curve_agrees_with_the_metric_code_at_10_100_1000()
    {
        var rng = new Random(4);
        var curve = new RecallCurve();
        var acc = new MetricsAccumulator();
        var values = new double[RetrievalMetrics.Count];
        for (var r = 0; r < 50; r++)
        {
            var ranked = Enumerable.Range(0, 5000).OrderBy(_ => rng.Next()).Take(1000).ToArray();
            var items = Enumerable.Range(0, 8).Select(_ => rng.Next(5000)).Distinct().ToArray();
            var actions = items.Select(_ => (UserAction)rng.Next(4)).ToArray();
            curve.Add(ranked, items, actions);
            RetrievalMetrics.Compute(ranked, items, actions, values);
            acc.Add(values);
        }
        var c = curve.Values();
        var m = acc.Averages();
        Assert.Equal(m["recall_order@10"], c[9], 12);
        Assert.Equal(m["recall_order@100"], c[99], 12);
        Assert.Equal(m["recall_order@1000"], c[999], 12);
    }

    [Fact]
    public void Click_curve_counts_every_positive()
    {
        var curve = new RecallCurve(maxK: 2, orderedOnly: false);
        curve.Add([5, 6], [5, 6, 7], [UserAction.Click, UserAction.Cart, UserAction.None]);
        Assert.Equal([0.5, 1.0], curve.Values());
    }
}
