using Mmse.Data;
using Mmse.Tests.Fixtures;

namespace Mmse.Tests.Cli;

/// <summary>
/// Issue 15's defects of the commands: an output that is an input, a folder where a file goes
/// (and the reverse), an unwritable place, a folder as an input, a torn embed pair, NaN
/// vectors, out-of-range --threads, an empty search and eval --ef below its floor. Each exits 2
/// before any work, without a stack trace, and leaves the inputs as they were.
/// </summary>
public class OutputSafetyTests
{
    private const string Catalog = """
        {"id": "1", "title": "steel bracket"}
        {"id": "2", "title": "brass hinge"}
        """;

    private const string Log = """
        {"query": "bracket", "items": [{"id": "1", "action": "order"}, {"id": "2"}]}
        """;

    private static void AssertRefused(CliRunner.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}");
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Every way of naming an input as an output: the same path, a symbolic link, a hard link.</summary>
    public static TheoryData<string> Links() => new() { "same", "symlink", "hardlink" };

    private static string Alias(TempDir dir, string target, string how)
    {
        switch (how)
        {
            case "same":
                return target;
            case "symlink":
                File.CreateSymbolicLink(dir.File("alias"), target);
                return dir.File("alias");
            default:
                var link = dir.File("alias");
                using (var ln = System.Diagnostics.Process.Start("ln", [target, link]))
                    ln.WaitForExit();
                Assert.True(File.Exists(link), "ln failed");
                return link;
        }
    }

    [Theory]
    [MemberData(nameof(Links))]
    public void Train_out_equal_to_the_catalog_is_refused_and_the_catalog_is_kept(string how)
    {
        using var dir = new TempDir();
        var catalog = dir.Write("cat.jsonl", Catalog);
        var log = dir.Write("log.jsonl", Log);
        var result = CliRunner.Run("train", "--catalog", catalog, "--train", log, "--out", Alias(dir, catalog, how));
        AssertRefused(result, "is the input --catalog");
        Assert.Equal(Catalog + "\n", File.ReadAllText(catalog));
    }

    [Theory]
    [MemberData(nameof(Links))]
    public void Json_outputs_equal_to_the_log_are_refused(string how)
    {
        using var dir = new TempDir();
        var catalog = dir.Write("cat.jsonl", Catalog);
        var log = dir.Write("log.jsonl", Log);
        var alias = Alias(dir, log, how);
        AssertRefused(CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--json", alias), "is the input --log");
        AssertRefused(CliRunner.Run("eval", "--model", "m.mmse", "--catalog", catalog, "--log", log, "--json", alias), "is the input --log");
        AssertRefused(CliRunner.Run("bm25", "--catalog", catalog, "--log", log, "--json", alias), "is the input --log");
        Assert.Equal(Log + "\n", File.ReadAllText(log));
    }

    [Fact]
    public void Index_out_equal_to_its_vectors_or_ids_is_refused()
    {
        using var dir = new TempDir();
        var vectors = dir.File("v.fvecs");
        Vectors.WriteFvecs(vectors, new float[] { 1, 0, 0, 1 }, 2);
        var ids = dir.Write("v.ids", "a", "b");
        var before = File.ReadAllBytes(vectors);
        AssertRefused(CliRunner.Run("index", "--vectors", vectors, "--ids", ids, "--out", vectors), "is the input --vectors");
        AssertRefused(CliRunner.Run("index", "--vectors", vectors, "--ids", ids, "--out", ids), "is the input --ids");
        Assert.Equal(before, File.ReadAllBytes(vectors));
        Assert.Equal("a\nb\n", File.ReadAllText(ids));
    }

    [Fact]
    public void Embed_into_the_folder_of_its_catalog_named_items_ids_is_refused()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("items.ids", Catalog);
        AssertRefused(CliRunner.Run("embed", "--model", "m.mmse", "--catalog", catalog, "--out", dir.Path), "is the input --catalog");
    }

    [Fact]
    public void Folders_and_files_in_the_wrong_place_are_refused_up_front()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("cat.jsonl", Catalog);
        var log = dir.Write("log.jsonl", Log);
        var folder = Directory.CreateDirectory(dir.File("out")).FullName;
        var file = dir.Write("file.txt", "x");
        AssertRefused(CliRunner.Run("train", "--catalog", catalog, "--train", log, "--out", folder), "is a folder; give a file name");
        AssertRefused(CliRunner.Run("index", "--vectors", catalog, "--out", folder), "is a folder; give a file name");
        AssertRefused(CliRunner.Run("embed", "--model", "m.mmse", "--catalog", catalog, "--out", file), "is a file; give a folder");
        AssertRefused(CliRunner.Run("synth", "--out", file), "is a file; give a folder");
        AssertRefused(CliRunner.Run("train", "--catalog", catalog, "--train", log, "--out", Path.Combine(file, "m.mmse")), "is a file, not a folder");
        AssertRefused(CliRunner.Run("train", "--catalog", catalog, "--train", log, "--out", dir.File("m.mmse"), "--json", dir.File("m.mmse")),
            "is also the output of --out");
        // /proc refuses new files even to root, so this holds wherever the tests run.
        AssertRefused(CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--json", "/proc/mmse-stats.json"), "not writable");
        Assert.Equal(["cat.jsonl", "file.txt", "log.jsonl", "out"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void A_folder_given_as_an_input_says_so()
    {
        using var dir = new TempDir();
        var log = dir.Write("log.jsonl", Log);
        AssertRefused(CliRunner.Run("data", "stats", "--catalog", dir.Path, "--log", log), "is a folder, not a file");
        Assert.Contains("is a folder", Assert.Throws<MmseInputException>(() => CatalogReader.Read(dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_refuses_nan_and_infinite_vectors_naming_the_row()
    {
        using var dir = new TempDir();
        var vectors = dir.File("v.fvecs");
        Vectors.WriteFvecs(vectors, new float[] { 1, 0, 0, 1, float.NaN, 0 }, 2);
        AssertRefused(CliRunner.Run("index", "--vectors", vectors, "--out", dir.File("v.idx")), "vector 2 (0-based row) has NaN at component 0");
        Vectors.WriteFvecs(vectors, new float[] { 1, 0, 0, float.PositiveInfinity }, 2);
        AssertRefused(CliRunner.Run("index", "--vectors", vectors, "--out", dir.File("v.idx")), "vector 1 (0-based row)");
        Assert.False(File.Exists(dir.File("v.idx")));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("100000")]
    public void Threads_out_of_range_is_refused_by_every_command(string threads)
    {
        using var dir = new TempDir();
        var catalog = dir.Write("cat.jsonl", Catalog);
        var log = dir.Write("log.jsonl", Log);
        AssertRefused(CliRunner.Run("train", "--catalog", catalog, "--train", log, "--out", dir.File("m"), "--threads", threads), "option '--threads'");
        AssertRefused(CliRunner.Run("experiment", "--catalog", catalog, "--train", log, "--test", log, "--out", dir.File("r"), "--threads", threads), "option '--threads'");
        AssertRefused(CliRunner.Run("index", "--vectors", "v.fvecs", "--out", dir.File("i"), "--threads", threads), "option '--threads'");
        AssertRefused(CliRunner.Run("bm25", "--catalog", catalog, "--log", log, "--threads", threads), "option '--threads'");
    }

    [Fact]
    public void Search_with_an_empty_query_and_eval_with_a_small_ef_are_refused()
    {
        AssertRefused(CliRunner.Run("search", "--model", "m.mmse", "--catalog", "c.jsonl", ""), "the query is empty");
        AssertRefused(CliRunner.Run("search", "--model", "m.mmse", "--catalog", "c.jsonl", " ", " "), "the query is empty");
        AssertRefused(CliRunner.Run("eval", "--model", "m.mmse", "--catalog", "c.jsonl", "--log", "l.jsonl", "--index", "i.idx", "--ef", "5"),
            "option '--ef': 5 is out of range [1000");
    }

    [Fact]
    public void A_torn_embed_pair_is_refused_by_index_and_serve()
    {
        using var dir = new TempDir();
        var market = new MarketFixture(items: 60, trainRequests: 80, testRequests: 10, seed: 3);
        var (catalog, train, _) = market.WriteJsonl(dir.Path);
        var config = dir.Write("config.json", """{"buckets": 1024, "embedding-dim": 8, "hidden": 8, "dim": 8, "batch-size": 32, "random-negatives": 8}""");
        var model = dir.File("m.mmse");
        Assert.Equal(0, CliRunner.Run("train", "--catalog", catalog, "--train", train, "--out", model, "--config", config, "--epochs", "1", "--threads", "1").ExitCode);
        var vec = dir.File("vec");
        var embed = CliRunner.Run("embed", "--model", model, "--catalog", catalog, "--out", vec, "--threads", "1");
        Assert.True(embed.ExitCode == 0, embed.Error);
        var items = Path.Combine(vec, "items.fvecs");
        var ids = Path.Combine(vec, "items.ids");
        Assert.True(File.Exists(Path.Combine(vec, "items.manifest.json")));
        var good = CliRunner.Run("index", "--vectors", items, "--ids", ids, "--out", dir.File("a.idx"), "--threads", "1");
        Assert.True(good.ExitCode == 0, good.Error);

        // An embed of the same catalog reordered, "killed" after the vectors were replaced: the
        // same count and dimension, so only the manifest can tell the pair is torn.
        var reordered = dir.Write("reordered.jsonl", [.. File.ReadAllLines(catalog).Reverse()]);
        var other = dir.File("other");
        Assert.Equal(0, CliRunner.Run("embed", "--model", model, "--catalog", reordered, "--out", other, "--threads", "1").ExitCode);
        var oldIds = File.ReadAllBytes(ids);
        File.Copy(Path.Combine(other, "items.fvecs"), items, overwrite: true);
        AssertRefused(CliRunner.Run("index", "--vectors", items, "--ids", ids, "--out", dir.File("b.idx")), "items.fvecs");
        Assert.False(File.Exists(dir.File("b.idx")));

        // The vectors and the ids both of the new run, but the manifest still of the old: refused too.
        File.Copy(Path.Combine(other, "items.ids"), ids, overwrite: true);
        AssertRefused(CliRunner.Run("index", "--vectors", items, "--ids", ids, "--out", dir.File("b.idx")), "SHA-256");

        // Killed between the first rename and the manifest's commit: the manifest says "writing".
        File.WriteAllBytes(ids, oldIds);
        VectorManifest.Begin(items);
        AssertRefused(CliRunner.Run("index", "--vectors", items, "--ids", ids, "--out", dir.File("b.idx")), "did not finish");

        // serve --index items.fvecs (vectors in catalog order): the manifest names another item order.
        var served = Assert.Throws<MmseArtifactException>(() =>
            new Mmse.Retrieval.BuiltInEngineLoader(new Mmse.Retrieval.EngineSource(model, Path.Combine(other, "items.fvecs"), catalog)).Load(default));
        Assert.Contains("another item order", served.Message, StringComparison.Ordinal);
        using var right = new Mmse.Retrieval.BuiltInEngineLoader(new Mmse.Retrieval.EngineSource(model, Path.Combine(other, "items.fvecs"), reordered)).Load(default);
        Assert.Equal(60, right.Catalog.Count);
    }
}
