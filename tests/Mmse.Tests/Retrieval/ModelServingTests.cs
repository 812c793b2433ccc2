using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Mmse.Retrieval;
using Mmse.Tests.Fixtures;
using Mmse.Tests.Training;
using Mmse.Training;

namespace Mmse.Tests.Retrieval;

/// <summary>The trained model and an HNSW index file behind the server (ModelQueryEncoder, HnswItemIndex, the loader).</summary>
public class ModelServingTests
{
    private static readonly MarketFixture s_market = new(items: 200, trainRequests: 300, testRequests: 40, seed: 5);

    private static readonly Lazy<MmseModel> s_model = new(() =>
        Trainer.Train(s_market.Catalog, s_market.Train, null, TrainerTests.Small, TrainerTests.Quick with { Epochs = 1 }).Model);

    private static Catalog Catalog => s_market.Catalog;

    private static string[] Queries => [.. Enumerable.Range(0, 12).Select(r => s_market.Test.Queries[r])];

    /// <summary>An HNSW index over the model's item vectors, saved in position order <paramref name="order"/> (ids follow).</summary>
    private static string WriteIndex(TempDir dir, MmseModel model, int[]? order = null, Func<int, string>? idOf = null, string name = "items.idx")
    {
        var vectors = model.EncodeItems(Catalog, threads: 1);
        order ??= [.. Enumerable.Range(0, Catalog.Count)];
        var rows = new float[order.Length * model.Dim];
        var ids = new string[order.Length];
        for (var p = 0; p < order.Length; p++)
        {
            vectors.AsSpan(order[p] * model.Dim, model.Dim).CopyTo(rows.AsSpan(p * model.Dim));
            ids[p] = idOf?.Invoke(order[p]) ?? Catalog.Ids[order[p]];
        }
        using var index = HnswIndex.Build(rows, model.Dim, ids, new HnswOptions { M = 8, EfConstruction = 100, Threads = 1, Seed = 2 });
        var path = dir.File(name);
        index.Save(path);
        return path;
    }

    private static int[] Shuffled(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    [Fact]
    public void Encoder_serves_the_models_heads_and_caches_its_version()
    {
        var model = s_model.Value;
        var encoder = new ModelQueryEncoder(model);
        Assert.Equal((model.Heads, model.Dim, model.Beta, model.Version), (encoder.Heads, encoder.Dim, encoder.Beta, encoder.Version));
        var expected = new float[model.Heads * model.Dim];
        model.EncodeQuery("steel bracket", expected);
        var actual = new float[encoder.Heads * encoder.Dim];
        encoder.EncodeQuery("steel bracket", actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_pre_fusion_model_serves_one_averaged_head()
    {
        var model = new MmseModel(TrainerTests.Small with { PreFusion = true });
        var encoder = new ModelQueryEncoder(model);
        Assert.Equal(1, encoder.Heads);
        var heads = new float[model.Heads * model.Dim];
        model.EncodeQuery("brass hinge", heads);
        var expected = new float[model.Dim];
        model.ScoringQuery(heads, expected);
        var actual = new float[model.Dim];
        encoder.EncodeQuery("brass hinge", actual);
        Assert.Equal(expected, actual);
        Assert.InRange(System.Numerics.Tensors.TensorPrimitives.Norm(actual), 0.999f, 1.001f);
    }

    [Fact]
    public void Hnsw_index_finds_what_exact_search_finds_in_catalog_numbering()
    {
        using var dir = new TempDir();
        var model = s_model.Value;
        // Positions in a shuffled order: the adapter must map them back to catalog indices by id.
        var path = WriteIndex(dir, model, Shuffled(Catalog.Count, 7));
        using var hnsw = HnswItemIndex.Open(path, Catalog, ef: 200);
        var exact = new ExactItemIndex(model.EncodeItems(Catalog, threads: 1), model.Dim);
        Assert.Equal(Catalog.Count, hnsw.Count);
        var encoder = new ModelQueryEncoder(model);
        var heads = new float[encoder.Heads * encoder.Dim];
        foreach (var query in Queries)
        {
            encoder.EncodeQuery(query, heads);
            var a = hnsw.Search(heads, encoder.Heads, encoder.Beta, 5, null);
            var b = exact.Search(heads, encoder.Heads, encoder.Beta, 5, null);
            Assert.Equal(b.Items.ToArray(), a.Items.ToArray());
            for (var i = 0; i < a.Count; i++)
            {
                Assert.Equal(b.Scores[i], a.Scores[i], 4);
                Assert.Equal(b.HeadScores(i).ToArray(), a.HeadScores(i).ToArray(), new FloatNear(1e-4f));
            }
        }
    }

    [Fact]
    public void Filters_become_cached_bitsets_and_hits_honour_them()
    {
        using var dir = new TempDir();
        var model = s_model.Value;
        using var hnsw = HnswItemIndex.Open(WriteIndex(dir, model, Shuffled(Catalog.Count, 3)), Catalog, ef: 100);
        var parser = new ItemFilterParser(Catalog);
        var category = Catalog.Categories[0]!;
        var filter = parser.Parse([$"category:{category}"], "filter")!;
        var sameFilter = parser.Parse([$"CATEGORY:{category.ToUpperInvariant()}"], "filter")!;
        var encoder = new ModelQueryEncoder(model);
        var heads = new float[encoder.Heads * encoder.Dim];
        encoder.EncodeQuery(Queries[0], heads);
        var allowed = Enumerable.Range(0, Catalog.Count).Count(filter.Allows);
        var hits = hnsw.Search(heads, encoder.Heads, encoder.Beta, 1000, filter);
        Assert.Equal(allowed, hits.Count); // every allowed item, none other
        Assert.All(hits.Items.ToArray(), item => Assert.True(filter.Allows(item)));
        hnsw.Search(heads, encoder.Heads, encoder.Beta, 3, sameFilter);
        Assert.Equal(1, hnsw.CachedFilters);
        var none = parser.Parse(["brand:no such brand"], "filter")!;
        Assert.Equal(0, hnsw.Search(heads, encoder.Heads, encoder.Beta, 3, none).Count);
    }

    [Fact]
    public void Index_items_missing_from_the_catalog_are_never_returned_and_many_are_refused()
    {
        using var dir = new TempDir();
        var model = s_model.Value;
        // One unknown id in 200 (0.5%) is tolerated and never served.
        var onePath = WriteIndex(dir, model, idOf: i => i == 17 ? "not-in-catalog" : Catalog.Ids[i], name: "one.idx");
        using (var hnsw = HnswItemIndex.Open(onePath, Catalog, ef: 300))
        {
            Assert.Equal((Catalog.Count - 1, 1), (hnsw.Count, hnsw.MissingIds));
            var encoder = new ModelQueryEncoder(model);
            var heads = new float[encoder.Heads * encoder.Dim];
            encoder.EncodeQuery(Queries[1], heads);
            var hits = hnsw.Search(heads, encoder.Heads, encoder.Beta, 1000, null);
            Assert.Equal(Catalog.Count - 1, hits.Count);
            Assert.DoesNotContain(17, hits.Items.ToArray());
        }
        // An index of another catalog is refused, naming the file and an id.
        var otherPath = WriteIndex(dir, model, idOf: i => $"other-{i}", name: "other.idx");
        var e = Assert.Throws<MmseInputException>(() => HnswItemIndex.Open(otherPath, Catalog));
        Assert.Contains("other.idx: 200 of its 200 items are not in the catalog (the first is id 'other-0')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleted_index_items_are_not_served()
    {
        using var dir = new TempDir();
        var model = s_model.Value;
        using (var index = HnswIndex.Build(model.EncodeItems(Catalog, threads: 1), model.Dim, [.. Catalog.Ids], new HnswOptions { M = 8, Threads = 1 }))
        {
            Assert.True(index.Delete(Catalog.Ids[3]));
            index.Save(dir.File("deleted.idx"));
        }
        using var hnsw = HnswItemIndex.Open(dir.File("deleted.idx"), Catalog, ef: 300);
        Assert.Equal((Catalog.Count - 1, 0), (hnsw.Count, hnsw.MissingIds));
        var encoder = new ModelQueryEncoder(model);
        var heads = new float[encoder.Heads * encoder.Dim];
        encoder.EncodeQuery(Catalog.Titles[3], heads);
        var hits = hnsw.Search(heads, encoder.Heads, encoder.Beta, 1000, null);
        Assert.Equal(Catalog.Count - 1, hits.Count);
        Assert.DoesNotContain(3, hits.Items.ToArray());
    }

    [Fact]
    public void Loader_reads_model_index_and_catalog_files_and_refuses_a_mismatch()
    {
        using var dir = new TempDir();
        var model = s_model.Value;
        var modelPath = dir.File("model.mmse");
        model.Save(modelPath);
        var catalogPath = dir.File("catalog.jsonl");
        using (var writer = new CatalogJsonlWriter(catalogPath))
        {
            for (var i = 0; i < Catalog.Count; i++)
                writer.Write(new CatalogItem(Catalog.Ids[i], Catalog.Titles[i], Catalog.Brands[i], Catalog.Categories[i]));
            writer.Commit();
        }
        var indexPath = WriteIndex(dir, model);
        var query = Queries[2];

        using var exactEngine = new BuiltInEngineLoader(new EngineSource(modelPath, "exact", catalogPath)).Load(CancellationToken.None);
        using var hnswEngine = new BuiltInEngineLoader(new EngineSource(modelPath, indexPath, catalogPath, Ef: 200)).Load(CancellationToken.None);
        Assert.IsType<ModelQueryEncoder>(hnswEngine.Encoder);
        Assert.IsType<HnswItemIndex>(hnswEngine.Index);
        Assert.Equal(model.Version, hnswEngine.ModelVersion);
        var a = hnswEngine.Search(hnswEngine.Validate(query, 5, null));
        var b = exactEngine.Search(exactEngine.Validate(query, 5, null));
        Assert.Equal(b.Hits.Select(h => h.Id), a.Hits.Select(h => h.Id));

        // An index of another dimension (here: another model's) is refused, saying why.
        var wide = new MmseModel(TrainerTests.Small with { Dim = 24 });
        var widePath = WriteIndex(dir, wide, name: "wide.idx");
        var e = Assert.Throws<MmseInputException>(() =>
            new BuiltInEngineLoader(new EngineSource(modelPath, widePath, catalogPath)).Load(CancellationToken.None));
        Assert.Contains("dimension 24", e.Message, StringComparison.Ordinal);
        Assert.Contains("wide.idx", e.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<MmseInputException>(() =>
            new BuiltInEngineLoader(new EngineSource(dir.File("nope.mmse"), "exact", catalogPath)).Load(CancellationToken.None));
        Assert.Contains("nope.mmse", missing.Message, StringComparison.Ordinal);
        var foreign = Assert.ThrowsAny<MmseInputException>(() =>
            new BuiltInEngineLoader(new EngineSource(modelPath, catalogPath, catalogPath)).Load(CancellationToken.None));
        Assert.Contains("not an Mmse HNSW index", foreign.Message, StringComparison.Ordinal);
    }

    private sealed class FloatNear(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
