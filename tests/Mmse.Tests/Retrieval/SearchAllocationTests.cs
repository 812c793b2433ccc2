using Mmse.Index;
using Mmse.Model;
using Mmse.Retrieval;
using Mmse.Tests.Training;

namespace Mmse.Tests.Retrieval;

/// <summary>
/// The request path allocates only its answer: a warm search through the trained-model encoder
/// and the HNSW index (int8 traversal, exact re-scoring) is measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>, so a per-request buffer cannot creep back in.
/// </summary>
public class SearchAllocationTests
{
    private const int Items = 2_000;

    private static SearchEngine Engine(bool preFusion)
    {
        var model = new MmseModel(TrainerTests.Small with { PreFusion = preFusion });
        var catalog = ServingTestData.Catalog(Items);
        var vectors = ServingTestData.RandomVectors(Items, model.Dim, seed: 3);
        var index = HnswIndex.Build(vectors, model.Dim, catalog.Ids,
            new HnswOptions { M = 8, EfConstruction = 40, Threads = 1, Seed = 1, Quantization = VectorQuantization.Int8 });
        return new SearchEngine(new ModelQueryEncoder(model), new HnswItemIndex(index, catalog, ef: 32), catalog);
    }

    /// <summary>The fewest bytes one call allocated over a few warm calls (the first ones JIT and fill caches).</summary>
    private static long Allocated(Action search)
    {
        for (var i = 0; i < 20; i++)
            search();
        var least = long.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            search();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_warm_search_allocates_only_its_hits(bool preFusion)
    {
        using var engine = Engine(preFusion);
        var filter = engine.Validate("x", 10, ["category:Tools > Hardware"]).Filter;
        // SearchHits: the object and its three arrays of 10 hits (about 300 bytes).
        var raw = Allocated(() => engine.SearchItems("steel angle bracket 4 pack", 10, null));
        Assert.InRange(raw, 1, 512);
        var filtered = Allocated(() => engine.SearchItems("steel angle bracket 4 pack", 10, filter));
        Assert.InRange(filtered, 1, 512);
        // The API's answer adds SearchResult, SearchHit[] and per hit a record and its head scores.
        var query = engine.Validate("Café crème 無線マウス", 10, null);
        var full = Allocated(() => engine.Search(query));
        Assert.InRange(full, raw, 2_048);
        // k = 1000 (pooled scratch instead of the stack) still allocates only the hits.
        var large = Allocated(() => engine.SearchItems("steel angle bracket", 1000, null));
        Assert.InRange(large, 1, 1000 * (4 + 4 + (4 * engine.Encoder.Heads)) + 512);
    }
}
