using Mmse.Backbone;

namespace Mmse.Tests.Backbone;

public class OnnxWeightQuantizerTests
{
    [Fact]
    public void Column_codes_times_scale_reproduce_the_weights()
    {
        var random = new Random(7);
        const int k = 40, n = 9;
        var w = new float[k * n];
        for (var i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % n);
        w[5 * n + 3] = 0; // a zero column entry and a zero column
        for (var r = 0; r < k; r++) w[r * n + 8] = 0;
        var codes = new sbyte[k * n];
        var scales = new float[n];
        OnnxWeightQuantizer.QuantizeColumns(w, k, n, codes, scales);
        for (var c = 0; c < n; c++)
        {
            var max = 0f;
            for (var r = 0; r < k; r++) max = Math.Max(max, Math.Abs(w[r * n + c]));
            Assert.Equal(max / 127f, scales[c]);
            for (var r = 0; r < k; r++)
            {
                // Round to nearest: the error is at most half a step, and the largest entry is exactly +-127.
                Assert.True(Math.Abs(codes[r * n + c] * scales[c] - w[r * n + c]) <= scales[c] * 0.5f + 1e-6f);
                if (Math.Abs(w[r * n + c]) == max && max > 0) Assert.Equal(127, Math.Abs((int)codes[r * n + c]));
            }
        }
        Assert.All(Enumerable.Range(0, k), r => Assert.Equal(0, codes[r * n + 8]));
    }

    [Fact]
    public void A_graph_without_weights_comes_back_unchanged()
    {
        // ModelProto { ir_version: 8, graph { name: "g" } }: nothing to quantise.
        byte[] model = [0x08, 0x08, 0x3A, 0x03, 0x12, 0x01, (byte)'g'];
        var (rewritten, count) = OnnxWeightQuantizer.Quantize(model);
        Assert.Equal(0, count);
        Assert.Equal(model, rewritten);
    }

    [Fact]
    public void Int8_backbone_stays_close_to_the_fp32_vectors_and_is_rewritten_in_full()
    {
        string[] texts =
        [
            "Cordless 20-Volt Lithium-Ion 1/2 in. Drill/Driver Kit",
            "drills",
            "Ceiling fan with LED light, 52\" brushed nickel",
            "Wood screws #8 x 1-1/4 in. (100-Pack)",
            "outdoor patio furniture set with cushions",
        ];
        var (onnx, _) = BackboneModel.ArcticXs.Open();
        // arctic-xs: 6 layers x (Q, K, V, attention output, two feed-forward) weight products.
        Assert.Equal(36, OnnxWeightQuantizer.Quantize(onnx).Quantized);
        using var fp32 = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1 });
        using var int8 = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1, Int8 = true });
        var a = new float[texts.Length * 384];
        var b = new float[texts.Length * 384];
        fp32.EncodeItems(texts, a);
        int8.EncodeItems(texts, b);
        for (var i = 0; i < texts.Length; i++)
        {
            var cosine = System.Numerics.Tensors.TensorPrimitives.Dot(a.AsSpan(i * 384, 384), b.AsSpan(i * 384, 384));
            Assert.InRange(cosine, 0.995f, 1.0001f);
            Assert.True(cosine < 0.999999f, "int8 must actually change the vectors");
        }
        // The query session (one thread) gives the same vector as the batch path.
        var query = int8.EncodeQuery("drills");
        var batch = new float[384];
        int8.EncodeQueries(["drills"], batch);
        Assert.True(query.Zip(batch).Max(p => Math.Abs(p.First - p.Second)) < 1e-4f);
    }

    [Fact]
    public void The_int8_backbone_names_load_8_bit_weights_and_keep_their_own_item_cache()
    {
        string[] texts = ["Cordless 20-Volt Lithium-Ion 1/2 in. Drill/Driver Kit", "outdoor patio furniture set with cushions"];
        using var byOption = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1, Int8 = true });
        using var byName = BackboneEncoder.Load("arctic-xs-int8", new BackboneOptions { Threads = 1 });
        Assert.Equal("arctic-xs-int8", byName.Model.Name);
        Assert.Equal(BackboneModel.ArcticXs.QueryPrefix, byName.Model.QueryPrefix);
        var a = new float[texts.Length * 384];
        var b = new float[texts.Length * 384];
        byOption.EncodeItems(texts, a);
        byName.EncodeItems(texts, b);
        Assert.Equal(a, b);
        Assert.True(BackboneModel.Get("MINILM-INT8").Int8);
        Assert.False(BackboneModel.Get("arctic-xs").Int8);

        // fp32 vectors in a cache are never served as int8 ones: the cache names its backbone.
        var dir = Directory.CreateTempSubdirectory("mmse-int8-").FullName;
        try
        {
            using var encoder = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1 });
            var path = Path.Combine(dir, "arctic-xs-items.bvc");
            using (var fp32Cache = ItemVectorCache.Open(path, BackboneModel.ArcticXs))
                fp32Cache.GetOrEncode(encoder, texts, new float[texts.Length * 384]);
            var error = Assert.Throws<Mmse.MmseArtifactException>(() => ItemVectorCache.Open(path, BackboneModel.ArcticXsInt8).Dispose());
            Assert.Contains("arctic-xs-int8", error.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
