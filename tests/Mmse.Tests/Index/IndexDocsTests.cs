using Mmse.Data;
using Mmse.Index;
using Mmse.Retrieval;

namespace Mmse.Tests.Index;

/// <summary>The API tour in docs/index.md compiles and runs as written (so the docs cannot drift).</summary>
public class IndexDocsTests
{
    [Fact]
    public void The_docs_tour_runs()
    {
        using var dir = new TempDir();
        const int dim = 16;
        var vectors = SyntheticVectors.Clustered(400, dim, 8, 1, 2);
        var b = new CatalogBuilder();
        for (var i = 0; i < 400; i++)
            b.TryAdd(new CatalogItem($"id{i}", "t", Category: i % 2 == 0 ? "Tools > Hardware" : "Garden", Attributes: [new("color", i % 3 == 0 ? "black" : "red")]));
        var catalog = b.Build();
        var ids = catalog.Ids;
        var queryVector = vectors.AsSpan(0, dim).ToArray();
        var heads = vectors.AsSpan(0, 2 * dim).ToArray();
        const int K = 2;

        using var index = HnswIndex.Build(vectors /* [n, dim] */, dim, ids, new HnswOptions { M = 16, EfConstruction = 200 });
        index.Save(dir.File("items.idx"));
        using var opened = HnswIndex.Open(dir.File("items.idx"));                 // memory-mapped, checksum verified
        IndexHit[] hits = opened.Search(queryVector, k: 100, ef: 128);   // (Position, Id, Score), best first
        Assert.Equal("id0", hits[0].Id);
        var filter = CatalogFilter.Parse(catalog, opened, "category:Tools", "color:black");
        hits = opened.Search(queryVector, 100, 128, filter);
        Assert.All(hits, h => Assert.True(int.Parse(h.Id[2..], System.Globalization.CultureInfo.InvariantCulture) % 6 == 0));
        MultiHeadHit[] fused = opened.SearchMultiHead(heads /* [K, dim] */, K, beta: 0.1f, k: 100, ef: 128);
        Assert.Equal(100, fused.Length);
        opened.Add(vectors.AsSpan(dim, dim), "new-id");   // copies a mapped index into memory first
        Assert.True(opened.Delete("id3"));
    }
}
