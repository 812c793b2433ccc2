using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Index;
using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

/// <summary>The one rule for index ids missing from the catalog (docs/index.md), on every route to catalog items.</summary>
public class CatalogPositionsTests
{
    private static Catalog MakeCatalog(int count)
    {
        var b = new CatalogBuilder();
        for (var i = 0; i < count; i++)
            b.TryAdd(new CatalogItem($"id{i}", $"item {i}"));
        return b.Build();
    }

    private static string[] Ids(int count, int missing) =>
        [.. Enumerable.Range(0, count).Select(i => i < missing ? $"gone{i}" : $"id{i}")];

    [Fact]
    public void Up_to_one_percent_missing_is_served_without_them()
    {
        var catalog = MakeCatalog(200);
        var flat = new FlatIndex(SyntheticVectors.Clustered(200, 4, 2, 1, 2), 4, Ids(200, 2));
        var positions = CatalogPositions.Map(flat, catalog);
        Assert.Equal(198, positions.Served);
        Assert.Equal(2, positions.Missing);
        Assert.Equal(-1, positions[0]);
        Assert.Equal(catalog.IndexOf("id5"), positions[5]);
        Assert.False(positions.ServedSet!.Contains(1));
        Assert.Equal(198, positions.ServedSet.AllowedCount);
    }

    [Fact]
    public void More_than_one_percent_missing_is_refused_naming_the_first()
    {
        var catalog = MakeCatalog(200);
        var flat = new FlatIndex(SyntheticVectors.Clustered(200, 4, 2, 1, 2), 4, Ids(200, 3));
        var e = Assert.Throws<MmseInputException>(() => CatalogPositions.Map(flat, catalog, "items.idx"));
        Assert.Equal("items.idx: 3 of its 200 items are not in the catalog (the first is id 'gone0'): it was built from another catalog", e.Message);
    }

    [Fact]
    public void Every_route_applies_the_same_rule()
    {
        // `search --index`, `eval --index` and the demo go through IndexedRetriever, the server through
        // HnswItemIndex: both refuse an index with 3% of its ids missing, and never return a missing id.
        const int dim = 8;
        var catalog = MakeCatalog(100);
        var vectors = SyntheticVectors.Clustered(100, dim, 4, 1, 2);
        using var refused = HnswIndex.Build(vectors, dim, Ids(100, 3), new HnswOptions { Threads = 1 });
        var model = new Mmse.Model.MmseModel(new Mmse.Model.ModelOptions { Buckets = 256, EmbeddingDim = 8, Hidden = 8, Heads = 2, Dim = dim });
        Assert.Throws<MmseInputException>(() => new HnswItemIndex(refused, catalog));
        Assert.Throws<MmseInputException>(() => new IndexedRetriever(model, refused, catalog));

        using var served = HnswIndex.Build(vectors, dim, Ids(100, 1), new HnswOptions { Threads = 1 });
        var retriever = new IndexedRetriever(model, served, catalog, ef: 200);
        var (items, _) = retriever.Search("item 1", 100);
        Assert.Equal(99, items.Length);
        Assert.DoesNotContain(catalog.IndexOf("id0"), items);
        Assert.DoesNotContain(-1, items);
    }
}
