using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Tests.Fixtures;

namespace Mmse.Tests.Evaluation;

public class ExactEvaluatorTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Search_equals_brute_force_over_model_Score(int heads, bool preFusion)
    {
        var market = new MarketFixture(items: 1500, trainRequests: 1, testRequests: 1);
        var model = new MmseModel(new ModelOptions { Buckets = 1024, EmbeddingDim = 8, Hidden = 12, Heads = heads, Dim = 8, PreFusion = preFusion });
        var items = model.EncodeItems(market.Catalog);
        var evaluator = new ExactEvaluator(model, items, market.Catalog.Count, 2);
        var q = new float[heads * 8];
        foreach (var text in new[] { "red couch", "laptop", "茶壶" })
        {
            model.EncodeQuery(text, q);
            var (top, scores) = evaluator.Search(q, 50);
            var brute = Enumerable.Range(0, market.Catalog.Count)
                .Select(i => (Item: i, Score: model.Score(q, items.AsSpan(i * 8, 8))))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Item).Take(50).ToArray();
            Assert.Equal(50, top.Length);
            for (var r = 0; r < 50; r++)
                Assert.Equal(brute[r].Score, scores[r], 4);
            // The same set up to ties within float rounding.
            Assert.True(top.Intersect(brute.Select(x => x.Item)).Count() >= 48);
        }
    }

    [Fact]
    public void Evaluate_returns_averages_and_per_request_values()
    {
        var market = new MarketFixture(items: 200, trainRequests: 1, testRequests: 40);
        var model = new MmseModel(new ModelOptions { Buckets = 1024, EmbeddingDim = 8, Hidden = 12, Dim = 8 });
        var result = ExactEvaluator.Create(model, market.Catalog, 2).Evaluate(market.Test);
        Assert.Equal(40, result.PerRequest.Length);
        Assert.Equal(RetrievalMetrics.Names.Count, result.Metrics.Count);
        var defined = result.PerRequest.Where(v => !double.IsNaN(v[1])).Select(v => v[1]).ToArray();
        Assert.Equal(defined.Average(), result.Metrics["recall_order@100"], 9);
        // With 200 items every item is in the top 1000: recall@1000 is 1.
        Assert.Equal(1.0, result.Metrics["recall_click@1000"], 9);
    }
}
