using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Numerics;
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

    public static TheoryData<int, bool, int, int, int, int, bool> Shapes => new()
    {
        // heads, preFusion, dim, items, queries, k, tied values
        { 2, false, 64, 4999, 53, 300, false },
        { 2, false, 13, 3001, 50, 1000, true },
        { 1, false, 7, 1033, 27, 40, true },
        { 3, false, 5, 777, 9, 777, true },
        { 3, true, 9, 101, 5, 1000, false },
        { 13, false, 3, 95, 3, 10, true },
        { 2, false, 1, 33, 2, 1, true },
        { 2, false, 16, 31, 1, 31, false },
        { 2, false, 8, 0, 2, 5, false },
        { 2, false, 8, 64, 0, 5, false },
        { 2, false, 8, 70, 4, 0, false },
    };

    /// <summary>
    /// Every kernel the machine has (and the scalar one) returns exactly the reference's items and scores,
    /// ties included: "tied" data are small integers, so many dot products and fused scores are equal and
    /// only the lower-index rule orders them. Odd item counts leave a partial panel, odd query counts a
    /// partial tile and block; k = 300 or 1,000 over thousands of items runs the sampled cut of the top-k.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fast_search_equals_reference_exactly(int heads, bool preFusion, int dim, int count, int queries, int k, bool tied)
    {
        var model = new MmseModel(new ModelOptions { Buckets = 16, EmbeddingDim = 4, Hidden = 4, Heads = heads, Dim = dim, PreFusion = preFusion });
        var rng = new Mmse.Numerics.Rng((ulong)(count * 7 + dim));
        float Next() => tied ? rng.Next(5) - 2 : (float)rng.NextGaussian();
        var items = new float[count * dim];
        for (var i = 0; i < items.Length; i++)
            items[i] = Next();
        var q = new float[queries * heads * dim];
        for (var i = 0; i < q.Length; i++)
            q[i] = Next();
        var expected = ExactEvaluator.SearchReference(model, items, count, q, queries, k);
        foreach (var kernel in AvailableKernels())
        {
            foreach (var threads in new[] { 1, 2 })
            {
                var evaluator = new ExactEvaluator(model, items, count, threads) { Kernel = kernel };
                var actual = evaluator.SearchMany(q, queries, k, threads);
                Assert.Equal(queries, actual.Length);
                for (var r = 0; r < queries; r++)
                {
                    Assert.Equal(Math.Min(k, count), actual[r].Items.Length);
                    Assert.Equal(expected[r].Items, actual[r].Items);
                    Assert.Equal(expected[r].Scores, actual[r].Scores);
                }
            }
        }
    }

    private static IEnumerable<ScoringKernel> AvailableKernels()
    {
        yield return ScoringKernel.Scalar;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            yield return ScoringKernel.Avx2;
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            yield return ScoringKernel.Avx512;
    }

    [Fact]
    public void Reference_ranks_by_the_fused_score_with_ties_to_the_lower_index()
    {
        var model = new MmseModel(new ModelOptions { Buckets = 16, EmbeddingDim = 4, Hidden = 4, Heads = 2, Dim = 2 });
        // Items 0 and 2 tie and have the best head overall, but item 3's two good heads fuse higher.
        float[] items = [1, 0.9f, 0.5f, 0.5f, 1, 0.9f, 0.98f, 0.98f];
        float[] q = [1, 0, 0, 1];
        var (top, scores) = ExactEvaluator.SearchReference(model, items, 4, q, 1, 4)[0];
        var fused = Enumerable.Range(0, 4).Select(i => ExactEvaluator.FusedScore([q[0] * items[2 * i] + q[1] * items[2 * i + 1], q[2] * items[2 * i] + q[3] * items[2 * i + 1]], model.Beta)).ToArray();
        Assert.Equal(fused[0], fused[2]);
        Assert.True(fused[3] > fused[0]);
        Assert.Equal([3, 0, 2, 1], top);
        Assert.Equal(new[] { fused[3], fused[0], fused[2], fused[1] }, scores);
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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Cancellation_surfaces_as_OperationCanceledException(int threads)
    {
        var model = new MmseModel(new ModelOptions { Buckets = 16, EmbeddingDim = 4, Hidden = 4, Dim = 4 });
        var evaluator = new ExactEvaluator(model, new float[400 * 4], 400, threads);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => evaluator.SearchMany(new float[200 * 2 * 4], 200, 10, threads, cancellation: cancelled.Token));
    }
}
