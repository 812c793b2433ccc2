using System.Text;
using Mmse.Backbone;
using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Training;

namespace Mmse.Tests.Faults;

/// <summary>
/// Small valid files of every format the readers accept: the starting points of the mutations.
/// Kept tiny so one input reads in microseconds and ten thousand fit in a second or two.
/// </summary>
internal static class FuzzSamples
{
    private const char X = '\u0018';  // JDsearch's term separator

    public static readonly string[] CatalogIds = ["1001", "1002", "1003", "1004", "1005", "1006"];

    public static readonly string[] CatalogJsonl =
    [
        """
        {"id": "1001", "title": "Apple iPhone 15 128GB black", "brand": "Apple", "category": "Electronics > Phones", "attributes": {"color": "black"}, "price": 799}
        {"id": "1002", "title": "Clear silicone phone case", "brand": "Spigen", "shop": "s1", "price": 15.5}
        {"id": "1003", "title": "Fresh Gala apples 2 lb bag"}

        {"id": "1004", "title": "Grey fabric sofa \u00e9 \"quoted\"", "category": "Furniture > Sofas", "attributes": {"material": "fabric", "seats": "3"}}
        """,
        """
        {"id":"1005","title":"Steel angle bracket","price":6,"attributes":{}}
        {"title":"Brass hinge","id":"1006","brand":null,"extra":[1,{"a":2}]}
        """,
        "\uFEFF{\"id\": \"1\", \"title\": \"\u4e2d\u6587 \u6807\u9898\"}\r\n{\"id\": 2, \"title\": \"numeric id\"}\r\n",
    ];

    public static readonly string[] LogJsonl =
    [
        """
        {"query": "iphone", "user": "u1", "time": "2026-01-02T10:00:00Z", "items": [{"id": "1001", "action": "order"}, {"id": "1002", "action": "click"}, {"id": "1003"}]}
        {"query": "sofa", "items": [{"id": "1004", "action": "cart"}, {"id": "1004", "action": "none"}]}

        {"query": "bracket", "user": null, "items": [{"id": "1005"}, {"id": "1006", "action": "click"}]}
        """,
        """
        {"items": [{"id": "1003", "action": "order"}], "query": "apples", "time": 1767348000}
        {"query": "", "items": []}
        """,
    ];

    public static readonly string[] CatalogCsv =
    [
        "id,title,brand,category,shop,price,color\n1001,Apple iPhone 15,Apple,Electronics > Phones,s1,799,black\n1002,\"Phone case, clear\",Spigen,,s2,15.5,\n1003,\"Gala \"\"fresh\"\" apples\",,,,,red\n",
        "title,id\r\nsofa,9\r\nhinge,10\r\n",
    ];

    public static readonly string[] CatalogTsv =
    [
        "id\ttitle\tbrand\tprice\tmaterial\n1001\tApple iPhone 15\tApple\t799\t\n1002\tGrey sofa\tHomeLine\t540.5\tfabric\n",
        "ID\tTitle\n7\tx\n8\ty \"z\"\n",
    ];

    private static string Terms(params int[] ids) => string.Join(X, ids);

    public static readonly string[] JdProducts =
    [
        string.Join('\n',
            string.Join('\t', JdSearchReader.ProductColumns),
            string.Join('\t', "101", Terms(5, 6, 7), "9", Terms(50), "1", Terms(11), "2", Terms(12, 13), "3", Terms(14), "4", Terms(15), "77"),
            string.Join('\t', "102", Terms(8), "-1", "-1", "-1", "-1", "-1", "-1", "-1", "-1", "-1", "-1", ""),
            string.Join('\t', "103", Terms(5, 9), "9", Terms(50), "1", Terms(11), "2", Terms(12, 13), "-1", "-1", "-1", "", "78")) + "\n",
    ];

    public static readonly string[] JdRelease =
    [
        string.Join('\n',
            string.Join('\t', JdSearchReader.ReleaseColumns),
            string.Join('\t', Terms(1, 2, 3), "101_999_102_103", "3.0_1.0_0.0_2.0", Terms(4) + "_-1", "101_102", "CLICK_ORD", "0_5_7"),
            string.Join('\t', Terms(4), "102", "1", "", "", "", "0"),
            string.Join('\t', Terms(6, 7), "103_101", "0_2", "", "", "", "1700000000")) + "\n",
    ];

    public static IReadOnlyList<byte[]> Utf8(IEnumerable<string> texts) => [.. texts.Select(Encoding.UTF8.GetBytes)];

    /// <summary>The catalog the log readers resolve ids against.</summary>
    public static Catalog Catalog(TempDir dir) => CatalogReader.Read(dir.Write("fixed-catalog.jsonl", CatalogJsonl[0].Split('\n')));

    public static Catalog JdCatalog(TempDir dir)
    {
        var path = dir.File("fixed/product_data.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JdProducts[0]);
        return JdSearchReader.ReadCatalog(path);
    }

    public static IReadOnlyList<byte[]> Fvecs(TempDir dir, bool ints)
    {
        var samples = new List<byte[]>();
        foreach (var (count, dim) in new[] { (5, 3), (1, 1), (4, 8) })
        {
            var path = dir.File($"sample-{count}-{dim}.vecs");
            var values = Enumerable.Range(0, count * dim).Select(i => (float)Math.Sin(i)).ToArray();
            if (ints)
                Vectors.WriteIvecs(path, Enumerable.Range(0, count * dim).ToArray(), dim);
            else
                Vectors.WriteFvecs(path, values, dim);
            samples.Add(File.ReadAllBytes(path));
        }
        return samples;
    }

    /// <summary>A model small enough to read ten thousand times a second: 64 buckets, width 4.</summary>
    public static ModelOptions TinyModel { get; } = new() { Buckets = 64, EmbeddingDim = 4, Hidden = 4, Heads = 2, Dim = 4 };

    public static IReadOnlyList<byte[]> Models()
    {
        var samples = new List<byte[]>();
        foreach (var options in new[] { TinyModel, TinyModel with { Heads = 1, PreFusion = true, ItemFields = ["title"], Buckets = 16 } })
        {
            var parameters = new ModelParameters(options);
            parameters.Initialize(options);
            using var stream = new MemoryStream();
            new MmseModel(options, parameters, new Dictionary<string, string> { ["trained"] = "fuzz" }).Write(stream);
            samples.Add(stream.ToArray());
        }
        return samples;
    }

    public static IReadOnlyList<byte[]> Indexes(TempDir dir)
    {
        var samples = new List<byte[]>();
        var rng = new Random(5);
        foreach (var (count, quantization) in new[] { (40, VectorQuantization.None), (25, VectorQuantization.Int8), (1, VectorQuantization.None) })
        {
            const int dim = 4;
            var vectors = Enumerable.Range(0, count * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            using var index = HnswIndex.Build(vectors, dim, [.. Enumerable.Range(0, count).Select(i => $"item-{i}")],
                new HnswOptions { M = 4, EfConstruction = 16, Threads = 1, Seed = 2, Quantization = quantization });
            var path = dir.File($"sample-{count}.hnsw");
            index.Save(path);
            samples.Add(File.ReadAllBytes(path));
        }
        return samples;
    }

    public static TrainOptions CheckpointTraining { get; } = new();

    public static IReadOnlyList<byte[]> Checkpoints(TempDir dir)
    {
        var options = TinyModel;
        var current = new ModelParameters(options);
        current.Initialize(options);
        var best = new ModelParameters(options);
        var optimizer = new Optimizer(current, CheckpointTraining, 1) { Step = 7 };
        var path = dir.File("sample.ckpt");
        Checkpoint.Write(path, options, CheckpointTraining, new Checkpoint.TrainState { Epoch = 2, BestEpoch = 1, BestRecall = 0.5, Step = 7 },
            current, best, optimizer, [new EpochStats(1, 0.5, 0.25, 0.75, 0.5, 100, 1.5, 66.7)]);
        return [File.ReadAllBytes(path)];
    }

    /// <summary>A stand-in backbone (the cache only reads its name and width).</summary>
    public static BackboneModel CacheBackbone { get; } = new()
    {
        Name = "fuzz",
        AssemblyName = "none",
        Package = "none",
        Pooling = BackbonePooling.Mean,
        Dimension = 4,
    };

    public static IReadOnlyList<byte[]> ItemCaches(TempDir dir)
    {
        var path = dir.File("sample.bvc");
        using (var cache = ItemVectorCache.Open(path, CacheBackbone))
        {
            cache.Add(["drill", "saw"], [1, 2, 3, 4, 5, 6, 7, 8]);
            cache.Add(["hammer"], [0.5f, 0.25f, float.NaN, -1]);
        }
        return [File.ReadAllBytes(path)];
    }

    /// <summary>
    /// Rewrites the trailing Checksum64 of a model or checkpoint file so the mutation gets past it:
    /// what a buggy writer (rather than a flipped bit) would produce, and what reaches the structure checks.
    /// </summary>
    public static byte[] FixArtifactChecksum(byte[] bytes)
    {
        if (bytes.Length < 8)
            return bytes;
        var checksum = new Checksum64();
        checksum.Append(bytes.AsSpan(0, bytes.Length - 8));
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 8), checksum.Value);
        return bytes;
    }
}
