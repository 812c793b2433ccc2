using Mmse.Backbone;
using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Mmse.Training;
using Xunit.Abstractions;

namespace Mmse.Tests.Faults;

/// <summary>
/// Issue 15's fault suite, part one: every reader of user files and artifacts over
/// <see cref="FuzzRunner.Inputs"/> seeded inputs (random, and valid samples mutated), each of which
/// must end in success or an exit-2 error, never another exception, a hang or a crash. The text
/// readers are also read in parallel chunks and with --skip-bad, and the chunked read must agree
/// with the serial one on every input. Each class is its own xunit collection, so the readers
/// run side by side on the two cores.
/// </summary>
public abstract class ReaderFuzzTests : IDisposable
{
    private protected const int Seed = 15;

    private protected ReaderFuzzTests(ITestOutputHelper output) => Output = output;

    private protected ITestOutputHelper Output { get; }

    private protected TempDir Dir { get; } = new();

    public void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Mutated samples written to <paramref name="name"/> (the name picks the format), read by <paramref name="read"/>.</summary>
    private protected void Fuzz(string reader, string name, IReadOnlyList<byte[]> samples, bool binary, Action<string, int> read,
        IEnumerable<string>? tokens = null, Func<byte[], Random, byte[]>? fixup = null, bool expectAccepted = true)
    {
        var path = Dir.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var number = 0;
        Mutator? mutator = null;
        var report = FuzzRunner.Run(reader, Seed, FuzzRunner.Inputs, rng =>
        {
            mutator ??= new Mutator(rng, samples, binary, tokens);
            var input = mutator.Next();
            if (fixup is not null)
                input = fixup(input, rng);
            return (input, mutator.LastRecipe);
        }, input =>
        {
            File.WriteAllBytes(path, input);
            read(path, number++);
        });
        FuzzRunner.Check(report, Output, expectAccepted);
    }

    /// <summary>The outcome of a text read as one comparable string: the records, or the error message.</summary>
    private protected static string Outcome(Func<string> read)
    {
        try
        {
            return "ok " + read();
        }
        catch (MmseInputException e)
        {
            return "refused " + e.Message;
        }
    }

    /// <summary>
    /// Reads serially; every fourth input also in 2 threads over 32-byte chunks (the chunked
    /// reader must agree with the serial one: same records or the same first error), every
    /// fourth with --skip-bad (which must not fail except on an empty file).
    /// </summary>
    private protected static void ReadTextThreeWays(string path, int number, Func<DataReadOptions, string> read)
    {
        var serial = Outcome(() => read(DataReadOptions.Default));
        if (number % 4 == 1)
        {
            // Tiny chunks, but not so many that each of them rescans one 70 KB line to find its start.
            var chunkBytes = (int)Math.Max(32, new FileInfo(path).Length / 16);
            var chunked = Outcome(() => read(DataReadOptions.Default with { Threads = 2, ChunkBytes = chunkBytes }));
            Assert.True(serial == chunked, $"the chunked read disagrees with the serial one:\n  serial:  {serial}\n  chunked: {chunked}");
        }
        else if (number % 4 == 2)
        {
            read(DataReadOptions.Default with { SkipBad = true, MaxReportedProblems = 2 });
        }
        if (serial.StartsWith("refused", StringComparison.Ordinal))
            throw new MmseDataException(serial);
    }

    private static readonly string[] s_jsonTokens = ["\"id\"", "\"title\"", "\"brand\"", "\"category\"", "\"shop\"", "\"price\"", "\"attributes\"", "\"query\"", "\"items\"", "\"action\"", "\"order\"", "\"click\"", "\"cart\"", "\"none\"", "\"user\"", "\"time\"", "\"1001\"", "\"2026-01-02T10:00:00Z\""];

    private protected static IEnumerable<string> JsonTokens => s_jsonTokens;
}

public sealed class CatalogJsonlFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    [Fact]
    public void Jsonl_catalog_reader_survives_fuzzing() =>
        Fuzz("catalog-jsonl", "catalog.jsonl", FuzzSamples.Utf8(FuzzSamples.CatalogJsonl), binary: false, (path, n) =>
            ReadTextThreeWays(path, n, o => string.Join(",", CatalogReader.Read(path, o).Ids)), JsonTokens);
}

public sealed class SearchLogJsonlFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    [Fact]
    public void Jsonl_search_log_reader_survives_fuzzing()
    {
        var catalog = FuzzSamples.Catalog(Dir);
        Fuzz("log-jsonl", "log.jsonl", FuzzSamples.Utf8(FuzzSamples.LogJsonl), binary: false, (path, n) =>
            ReadTextThreeWays(path, n, o =>
            {
                var log = SearchLogReader.Read(path, catalog, o);
                return $"{log.Count} {string.Join(",", log.Queries)} {string.Join(",", log.Items)} {string.Join(",", log.Actions)} {string.Join(",", log.Times)}";
            }), JsonTokens);
    }
}

public sealed class DelimitedCatalogFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    [Fact]
    public void Csv_catalog_reader_survives_fuzzing() =>
        Fuzz("catalog-csv", "catalog.csv", FuzzSamples.Utf8(FuzzSamples.CatalogCsv), binary: false, (path, _) =>
            CatalogReader.Read(path), ["id", "title", "price", "\"\"", ",\"", "\",", "\"a,b\""]);

    [Fact]
    public void Tsv_catalog_reader_survives_fuzzing() =>
        Fuzz("catalog-tsv", "catalog.tsv", FuzzSamples.Utf8(FuzzSamples.CatalogTsv), binary: false, (path, n) =>
            CatalogReader.Read(path, DataReadOptions.Default with { SkipBad = n % 3 == 0 }), ["id", "title", "price", "brand"]);
}

public sealed class JdSearchFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    private static readonly string[] s_tokens = ["-1", "_", "\u0018", "1.0", "3.0", "CLICK", "ORD", "CART", "101", "102_103", "wid\t", "query\t"];

    [Fact]
    public void JdSearch_product_reader_survives_fuzzing() =>
        Fuzz("jd-products", "jd/product_data.txt", FuzzSamples.Utf8(FuzzSamples.JdProducts), binary: false, (path, n) =>
            JdSearchReader.ReadCatalog(path, DataReadOptions.Default with { SkipBad = n % 3 == 0 }), s_tokens);

    [Fact]
    public void JdSearch_release_reader_survives_fuzzing()
    {
        var catalog = FuzzSamples.JdCatalog(Dir);
        Fuzz("jd-release", "jd/release_data.txt", FuzzSamples.Utf8(FuzzSamples.JdRelease), binary: false, (path, n) =>
            JdSearchReader.ReadLog(path, catalog, DataReadOptions.Default with
            {
                SkipBad = n % 3 == 0,
                JdSearch = new JdSearchOptions { IncludeHistory = n % 2 == 0, DropMissingProducts = n % 5 != 0 },
            }), s_tokens);
    }
}

public sealed class VectorFileFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    [Fact]
    public void Fvecs_reader_survives_fuzzing() =>
        Fuzz("fvecs", "v.fvecs", FuzzSamples.Fvecs(Dir, ints: false), binary: true, (path, _) => Vectors.ReadFvecs(path, out _, out _));

    [Fact]
    public void Ivecs_reader_survives_fuzzing() =>
        Fuzz("ivecs", "v.ivecs", FuzzSamples.Fvecs(Dir, ints: true), binary: true, (path, _) => Vectors.ReadIvecs(path, out _, out _));
}

public sealed class ModelFileFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    private static readonly string[] s_tokens = ["\"Buckets\"", "\"Heads\"", "\"Dim\"", "\"Hidden\"", "\"EmbeddingDim\"", "\"ItemFields\"", "\"Beta\""];

    /// <summary>Half the mutated files get a recomputed checksum, so the header and weight checks behind it are reached too.</summary>
    [Fact]
    public void Model_file_reader_survives_fuzzing()
    {
        var query = new float[64 * 64];
        Fuzz("model", "model.bin", FuzzSamples.Models(), binary: true, (path, _) =>
        {
            using var stream = File.OpenRead(path);
            var model = MmseModel.Read(stream, path);
            model.EncodeQuery("grey sofa", query.AsSpan(0, model.Heads * model.Dim));
        }, s_tokens, (input, rng) => rng.Next(2) == 0 ? FuzzSamples.FixArtifactChecksum(input) : input);
    }
}

public sealed class IndexFileFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    /// <summary>
    /// Half the inputs are opened without the checksum pass (as `serve --no-verify` may), and then
    /// searched: the structure checks alone must keep every traversal inside the file.
    /// </summary>
    [Fact]
    public void Hnsw_index_reader_survives_fuzzing()
    {
        var query = new float[] { 0.5f, -0.25f, 0.1f, 0.3f };
        Fuzz("hnsw-index", "items.hnsw", FuzzSamples.Indexes(Dir), binary: true, (path, n) =>
        {
            using var index = HnswIndex.Open(path, verifyChecksum: n % 2 == 0);
            if (index.Dim == query.Length)
                index.Search(query, 5, 16);
        });
    }
}

public sealed class CheckpointFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    [Fact]
    public void Checkpoint_reader_survives_fuzzing()
    {
        var options = FuzzSamples.TinyModel;
        Fuzz("checkpoint", "train.ckpt", FuzzSamples.Checkpoints(Dir), binary: true, (path, _) =>
        {
            var current = new ModelParameters(options);
            Checkpoint.Read(path, options, FuzzSamples.CheckpointTraining, current, new ModelParameters(options),
                new Optimizer(current, FuzzSamples.CheckpointTraining, 1), []);
        }, ["\"Epoch\"", "\"History\"", "\"Step\"", "NaN"], (input, rng) => rng.Next(2) == 0 ? FuzzSamples.FixArtifactChecksum(input) : input);
    }
}

public sealed class ItemVectorCacheFuzzTests(ITestOutputHelper output) : ReaderFuzzTests(output)
{
    [Fact]
    public void Backbone_item_cache_reader_survives_fuzzing()
    {
        var vector = new float[4];
        Fuzz("item-cache", "items.bvc", FuzzSamples.ItemCaches(Dir), binary: true, (path, n) =>
        {
            using var cache = ItemVectorCache.Open(path, FuzzSamples.CacheBackbone, create: false);
            cache.TryGet("saw", vector);
            if (n % 16 == 0)
                cache.Add(["plane"], [1, 2, 3, 4]);  // appending after a dropped torn tail must work too (each append is flushed to disk: not every input)
        });
    }
}
