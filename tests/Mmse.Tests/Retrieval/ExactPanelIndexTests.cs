using Mmse.Index;
using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

public class ExactPanelIndexTests
{
    [Theory]
    [InlineData(1, 0.1f)]
    [InlineData(2, 0.1f)]
    [InlineData(3, 0.05f)]
    public void A_filtered_search_is_the_unfiltered_ranking_restricted_to_the_allowed_items(int heads, float beta)
    {
        const int dim = 8, count = 300, k = 10;
        var items = SyntheticVectors.Clustered(count, dim, 6, 1, 2);
        var query = SyntheticVectors.Clustered(heads, dim, 6, 3, 4);
        var index = new ExactPanelIndex(items, count, dim, 1);
        var all = index.SearchMany(query, 1, heads, beta, count, 1)[0];
        var catalog = ServingTestData.Catalog(count);
        var filter = new ItemFilterParser(catalog).Parse(["brand:hardco"])!;
        var hits = index.Search(query, heads, beta, k, filter);
        int[] expected = [.. all.Items.Where(filter.Allows).Take(k)];
        Assert.Equal(expected, hits.Items.ToArray());
        Assert.Equal(heads, hits.Heads);
        for (var n = 0; n < hits.Count; n++)
            Assert.Equal(all.Scores[Array.IndexOf(all.Items, hits.Items[n])], hits.Scores[n]);
        Assert.Equal(all.Items.Take(k), index.Search(query, heads, beta, k, null).Items.ToArray());
    }

    [Fact]
    public void GroundTruth_agrees_with_single_searches()
    {
        var data = SyntheticVectors.Clustered(800, 8, 8, 1, 3);
        var queries = SyntheticVectors.Clustered(20, 8, 8, 1, 4);
        var flat = new FlatIndex(data, 8);
        var batch = ExactPanelIndex.GroundTruth(data, 8, queries, 5, threads: 2);
        for (var q = 0; q < 20; q++)
            Assert.Equal(flat.Search(queries.AsSpan(q * 8, 8), 5).Select(h => h.Position), batch.AsSpan(q * 5, 5).ToArray());
    }
}

public class TopKTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(10, 100)]
    [InlineData(1000, 5000)]
    [InlineData(7, 7)]
    [InlineData(300, 20000)]
    [InlineData(256, 3000)]
    public void Keeps_exactly_the_best_k_with_ties_to_the_lower_index(int k, int n)
    {
        var rng = new Mmse.Numerics.Rng((ulong)(k * 31 + n));
        // Few distinct values so ties are everywhere; negatives, zeros and positives.
        var scores = Enumerable.Range(0, n).Select(_ => (float)(rng.Next(21) - 10) / 4).ToArray();
        var top = new ExactPanelIndex.TopK(k);
        for (var i = 0; i < n; i++)
            top.Push(scores[i], i);
        var (items, values) = top.Sorted();
        var expected = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
        Assert.Equal(expected, items);
        Assert.Equal(expected.Select(i => scores[i]), values);
    }

    [Fact]
    public void Pack_orders_by_score_then_lower_index()
    {
        Assert.True(ExactPanelIndex.TopK.Pack(0.5f, 7) > ExactPanelIndex.TopK.Pack(-0.5f, 1));
        Assert.True(ExactPanelIndex.TopK.Pack(0.5f, 1) > ExactPanelIndex.TopK.Pack(0.5f, 7));
        Assert.Equal((-2.25f, 42), ExactPanelIndex.TopK.Unpack(ExactPanelIndex.TopK.Pack(-2.25f, 42)));
    }
}
