using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Tests.Fixtures;

namespace Mmse.Tests.Model;

public class MmseModelTests
{
    private static readonly ModelOptions s_small = new() { Buckets = 512, EmbeddingDim = 8, Hidden = 12, Heads = 2, Dim = 8 };

    [Fact]
    public void Save_and_load_round_trip_every_weight()
    {
        using var dir = new TempDir();
        var model = new MmseModel(s_small, null, new Dictionary<string, string> { ["variant"] = "Mmse" });
        var path = dir.File("m.mmse");
        model.Save(path);
        var loaded = MmseModel.Load(path);
        Assert.Equal(model.Version, loaded.Version);
        Assert.Equal(model.Parameters.Embedding, loaded.Parameters.Embedding);
        Assert.Equal("Mmse", loaded.Metadata["variant"]);
        Assert.Equal(2, loaded.Heads);
        Assert.Equal(8, loaded.Dim);
    }

    [Fact]
    public void Corrupt_truncated_and_foreign_files_are_refused_clearly()
    {
        using var dir = new TempDir();
        var path = dir.File("m.mmse");
        new MmseModel(s_small).Save(path);
        var good = File.ReadAllBytes(path);

        var flipped = (byte[])good.Clone();
        flipped[good.Length - 100] ^= 0x01;
        File.WriteAllBytes(path, flipped);
        Assert.Contains("checksum mismatch", Assert.Throws<MmseArtifactException>(() => MmseModel.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, good[..(good.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<MmseArtifactException>(() => MmseModel.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, "{\"id\": \"not a model\"}\n");
        var e = Assert.Throws<MmseArtifactException>(() => MmseModel.Load(path));
        Assert.Contains("not an Mmse model", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);

        var version = (byte[])good.Clone();
        version[8] = 99;
        File.WriteAllBytes(path, version);
        Assert.Contains("version 99", Assert.Throws<MmseArtifactException>(() => MmseModel.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_is_the_post_fusion_of_head_cosines_and_pre_fusion_averages_heads()
    {
        var model = new MmseModel(s_small);
        var q = new float[16];
        model.EncodeQuery("red kettle", q);
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(q.AsSpan(0, 8)), 4);
        var market = new MarketFixture(items: 30, trainRequests: 1, testRequests: 1);
        var items = model.EncodeItems(market.Catalog, 2);
        var item = items.AsSpan(3 * 8, 8);
        float[] z = [System.Numerics.Tensors.TensorPrimitives.Dot(q.AsSpan(0, 8), item), System.Numerics.Tensors.TensorPrimitives.Dot(q.AsSpan(8, 8), item)];
        Assert.Equal(PostFusion.Fuse(z, model.Beta), model.Score(q, item), 5);

        var pre = new MmseModel(s_small with { PreFusion = true }, model.Parameters);
        var mean = new float[8];
        for (var i = 0; i < 8; i++) mean[i] = (q[i] + q[8 + i]) / 2;
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(mean);
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(mean, item) / norm, pre.Score(q, item), 5);
    }

    [Fact]
    public void Batch_item_encoding_equals_one_by_one_and_threads_agree()
    {
        var market = new MarketFixture(items: 50, trainRequests: 1, testRequests: 1);
        var model = new MmseModel(s_small);
        var a = model.EncodeItems(market.Catalog, 1);
        var b = model.EncodeItems(market.Catalog, 2);
        Assert.Equal(a, b);
        var queries = new[] { "red kettle", "手机壳", "", "couch" };
        var batch = model.EncodeQueries(queries, 2);
        for (var i = 0; i < queries.Length; i++)
        {
            var one = new float[16];
            model.EncodeQuery(queries[i], one);
            Assert.Equal(one, batch.AsSpan(i * 16, 16).ToArray());
        }
    }
}
