using System.Numerics.Tensors;
using Mmse.Backbone;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Tests.Fixtures;
using Mmse.Text;
using Mmse.Training;

namespace Mmse.Tests.Model;

/// <summary>A model with a backbone (the adapter towers over frozen arctic-embed-xs vectors), end to end on a small fixture.</summary>
public sealed class BackboneModelTests : IDisposable
{
    private static readonly MarketFixture s_market = new(items: 120, trainRequests: 300, testRequests: 60, seed: 9, displayed: 10);
    private readonly TempDir _dir = new();
    private readonly BackboneRuntime _runtime;

    public BackboneModelTests() => _runtime = new BackboneRuntime(BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1 }), _dir.File("cache"));

    public void Dispose()
    {
        _runtime.Encoder.Dispose();
        _dir.Dispose();
    }

    private static ModelOptions Options(TextAnalysis analysis = TextAnalysis.Plain) =>
        new ModelOptions { Buckets = 1 << 12, EmbeddingDim = 16, Heads = 2, Analysis = analysis }.WithBackbone("arctic-xs").ResolveBackbone();

    private static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);

    [Fact]
    public void An_untrained_model_is_the_backbone_itself()
    {
        var model = new MmseModel(Options(), backbone: _runtime);
        Assert.Equal(384, model.Dim);
        var items = model.EncodeItems(s_market.Catalog, threads: 1);
        var raw = _runtime.EncodeCatalog(s_market.Catalog);
        for (var i = 0; i < s_market.Catalog.Count; i++)
            Assert.True(Cosine(items.AsSpan(i * 384, 384), raw.AsSpan(i * 384, 384)) > 0.9999f, $"item {i}");
        var heads = new float[2 * 384];
        model.EncodeQuery("grey couch", heads);
        var q = _runtime.EncodeQuery("grey couch");
        for (var k = 0; k < 2; k++)
            Assert.InRange(Cosine(heads.AsSpan(k * 384, 384), q), 0.95f, 1.0001f);
        // The two heads start apart (small random adapters), not as copies.
        Assert.True(Cosine(heads.AsSpan(0, 384), heads.AsSpan(384, 384)) < 0.99999f);
    }

    [Theory]
    [InlineData(TextAnalysis.Plain)]
    [InlineData(TextAnalysis.English)]
    public void Single_query_fast_path_equals_the_reference_and_the_batch(TextAnalysis analysis)
    {
        var options = Options(analysis);
        var parameters = new ModelParameters(options);
        parameters.Initialize(options);
        var rng = new Rng(3);
        foreach (var g in (float[][])[parameters.Embedding, .. parameters.Dense])
        {
            for (var i = 0; i < g.Length; i += 7)
                g[i] = (float)(rng.NextGaussian() * 0.05);
        }
        var model = new MmseModel(options, parameters, backbone: _runtime);
        string[] queries = ["grey couch", "Running Shoes for kids", "手机壳 red", ""];
        var batch = model.EncodeQueries(queries, threads: 1);
        var kd = 2 * 384;
        for (var q = 0; q < queries.Length; q++)
        {
            var fast = new float[kd];
            var reference = new float[kd];
            model.EncodeQuery(queries[q], fast);
            model.EncodeQueryReference(queries[q], reference);
            for (var i = 0; i < kd; i++)
            {
                Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-5f, $"{queries[q]}[{i}] fast {fast[i]} reference {reference[i]}");
                Assert.True(Math.Abs(batch[q * kd + i] - reference[i]) <= 1e-5f, $"{queries[q]}[{i}] batch");
            }
        }
    }

    [Fact]
    public void The_model_file_records_its_backbone_and_an_unknown_one_is_refused()
    {
        var model = new MmseModel(Options(), backbone: _runtime);
        var path = _dir.File("m.model");
        model.Save(path);
        var loaded = MmseModel.Load(path);
        Assert.Equal("arctic-xs", loaded.Options.Backbone);
        Assert.NotNull(loaded.Backbone);
        Assert.Equal(model.Version, loaded.Version);

        var bytes = File.ReadAllBytes(path);
        var at = System.Text.Encoding.UTF8.GetString(bytes).IndexOf("arctic-xs", StringComparison.Ordinal);
        Assert.True(at > 0);
        "arctic-zz"u8.CopyTo(bytes.AsSpan(at));
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<MmseArtifactException>(() => MmseModel.Load(path));
        Assert.Contains("m.model", e.Message, StringComparison.Ordinal);
        Assert.Contains("unknown backbone 'arctic-zz'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item_vectors_are_cached_by_text_and_a_changed_title_is_encoded_again()
    {
        var catalog = s_market.Catalog;
        var first = _runtime.EncodeCatalog(catalog);
        var size = new FileInfo(_runtime.ItemCachePath).Length;
        var again = _runtime.EncodeCatalog(catalog);
        Assert.Equal(first, again);
        Assert.Equal(size, new FileInfo(_runtime.ItemCachePath).Length); // nothing encoded twice

        var builder = new CatalogBuilder();
        for (var i = 0; i < catalog.Count; i++)
            builder.TryAdd(new CatalogItem(catalog.Ids[i], i == 5 ? "solar powered garden gnome" : catalog.Titles[i], catalog.Brands[i], catalog.Categories[i]));
        var changed = _runtime.EncodeCatalog(builder.Build());
        Assert.True(new FileInfo(_runtime.ItemCachePath).Length > size); // the changed title was encoded and kept
        Assert.True(Cosine(changed.AsSpan(5 * 384, 384), first.AsSpan(5 * 384, 384)) < 0.95f);
        Assert.Equal(first.AsSpan(6 * 384).ToArray(), changed.AsSpan(6 * 384).ToArray());
    }

    [Fact]
    public void A_corrupt_item_cache_is_refused_by_name()
    {
        _runtime.EncodeCatalog(s_market.Catalog);
        var bytes = File.ReadAllBytes(_runtime.ItemCachePath);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(_runtime.ItemCachePath, bytes);
        var e = Assert.Throws<MmseArtifactException>(() => _runtime.EncodeCatalog(s_market.Catalog));
        Assert.Contains("arctic-xs-items.bvc", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_on_top_of_the_backbone_improves_on_it()
    {
        var options = Options();
        var train = new TrainOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.002f, Threads = 1, Patience = 0, CatalogStage = false, ValidShare = 0 };
        var result = Trainer.Train(s_market.Catalog, s_market.Train, null, options, train, backbone: _runtime);
        Assert.Equal("arctic-xs", result.Model.Options.Backbone);
        var untrained = new MmseModel(options, backbone: _runtime);
        var tokens = untrained.ItemInputs(s_market.Catalog, threads: 1);
        double Ndcg(MmseModel m) =>
            new ExactEvaluator(m, m.EncodeItems(tokens, s_market.Catalog.Count, 1), s_market.Catalog.Count, 1).Evaluate(s_market.Test, null).Metrics["ndcg@10"];
        var before = Ndcg(untrained);
        var after = Ndcg(result.Model);
        Assert.True(after > before + 0.05, $"ndcg@10 before {before:F3}, after {after:F3}");
    }
}
