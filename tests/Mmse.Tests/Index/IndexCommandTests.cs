using System.Text.Json;
using Mmse.Data;
using Mmse.Index;

namespace Mmse.Tests.Index;

public class IndexCommandTests
{
    [Fact]
    public void Index_command_writes_an_index_that_opens_with_the_ids()
    {
        using var dir = new TempDir();
        var data = SyntheticVectors.Clustered(600, 16, 10, 1, 2);
        Vectors.WriteFvecs(dir.File("items.fvecs"), data, 16);
        ItemIds.Write(dir.File("items.ids"), Enumerable.Range(0, 600).Select(i => $"sku{i}"));
        var r = CliRunner.Run("index", "--vectors", dir.File("items.fvecs"), "--ids", dir.File("items.ids"), "--out", dir.File("items.idx"),
            "--M", "8", "--ef-construction", "50", "--quantize", "int8", "--threads", "1", "--seed", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("indexed 600 vectors", r.Out, StringComparison.Ordinal);
        using var index = HnswIndex.Open(dir.File("items.idx"));
        Assert.Equal(600, index.Count);
        Assert.Equal(VectorQuantization.Int8, index.Options.Quantization);
        Assert.Equal(8, index.Options.M);
        Assert.Equal("sku42", index.Search(data.AsSpan(42 * 16, 16), 1)[0].Id);
    }

    [Fact]
    public void Index_command_reports_bad_input_with_exit_code_2()
    {
        using var dir = new TempDir();
        Vectors.WriteFvecs(dir.File("items.fvecs"), new float[32], 16);
        dir.Write("items.ids", "a");
        var r = CliRunner.Run("index", "--vectors", dir.File("items.fvecs"), "--ids", dir.File("items.ids"), "--out", dir.File("x.idx"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("has 1 ids but the vectors file has 2 vectors", r.Error, StringComparison.Ordinal);
        dir.Write("dup.ids", "a", "a");
        r = CliRunner.Run("index", "--vectors", dir.File("items.fvecs"), "--ids", dir.File("dup.ids"), "--out", dir.File("x.idx"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dup.ids:2", r.Error, StringComparison.Ordinal);
        r = CliRunner.Run("index", "--vectors", dir.File("items.fvecs"), "--out", dir.File("x.idx"), "--quantize", "int4");
        Assert.Equal(2, r.ExitCode);
        dir.Write("foreign.idx", "hello world, not an index");
        r = CliRunner.Run("bench", "ann", "--base", dir.File("items.fvecs"), "--query", dir.File("foreign.idx"));
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void Bench_gen_vectors_and_bench_ann_write_the_documented_json()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("bench", "gen-vectors", "--n", "3000", "--dim", "16", "--clusters", "30", "--queries", "50", "--seed", "2", "--out", dir.Path);
        Assert.True(r.ExitCode == 0, r.Error);
        r = CliRunner.Run("bench", "ann", "--base", dir.File("base.fvecs"), "--query", dir.File("query.fvecs"), "--k", "10",
            "--M", "8", "--ef-construction", "64", "--ef", "16,64", "--threads", "1", "--json", dir.File("ann.json"), "--gt-out", dir.File("gt.ivecs"));
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("ann.json")));
        var root = json.RootElement;
        Assert.True(root.GetProperty("build_s").GetDouble() >= 0);
        Assert.True(root.GetProperty("index_bytes").GetInt64() > 3000 * 16 * 4);
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([16, 64], runs.Select(x => x.GetProperty("ef").GetInt32()));
        Assert.All(runs, x => Assert.True(x.GetProperty("qps").GetDouble() > 0 && x.GetProperty("p99_ms").GetDouble() >= 0));
        Assert.True(runs[1].GetProperty("recall").GetDouble() >= 0.95);
        // The written ground truth gives the same recall when passed back in.
        r = CliRunner.Run("bench", "ann", "--base", dir.File("base.fvecs"), "--query", dir.File("query.fvecs"), "--gt", dir.File("gt.ivecs"),
            "--M", "8", "--ef-construction", "64", "--ef", "64", "--json", dir.File("ann2.json"));
        Assert.True(r.ExitCode == 0, r.Error);
        using var again = JsonDocument.Parse(File.ReadAllText(dir.File("ann2.json")));
        Assert.Equal(runs[1].GetProperty("recall").GetDouble(), again.RootElement.GetProperty("runs")[0].GetProperty("recall").GetDouble());
    }

    [Fact]
    public void Bench_ann_counts_equal_vectors_as_ties()
    {
        // 400 distinct unit vectors, each stored four times: the exact top 10 picks some of the copies,
        // an index may return others with the same inner product; the tie rule counts those.
        using var dir = new TempDir();
        const int dim = 8, distinct = 400, copies = 4, queries = 40;
        var rng = new Random(5);
        var unique = new float[distinct * dim];
        for (var i = 0; i < unique.Length; i++)
            unique[i] = (float)(rng.NextDouble() * 2 - 1);
        var base_ = new float[distinct * copies * dim];
        for (var c = 0; c < copies; c++)
            unique.CopyTo(base_.AsSpan(c * distinct * dim));
        var query = new float[queries * dim];
        for (var i = 0; i < query.Length; i++)
            query[i] = (float)(rng.NextDouble() * 2 - 1);
        Mmse.Data.Vectors.WriteFvecs(dir.File("base.fvecs"), base_, dim);
        Mmse.Data.Vectors.WriteFvecs(dir.File("query.fvecs"), query, dim);
        var r = CliRunner.Run("bench", "ann", "--base", dir.File("base.fvecs"), "--query", dir.File("query.fvecs"), "--k", "10",
            "--M", "8", "--ef-construction", "64", "--ef", "10,200", "--json", dir.File("ann.json"));
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("ann.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.All(runs, x => Assert.True(x.GetProperty("recall_ties").GetDouble() >= x.GetProperty("recall").GetDouble()));
        var wide = runs[1];
        Assert.True(wide.GetProperty("recall_ties").GetDouble() >= 0.99, wide.ToString());
        Assert.True(wide.GetProperty("recall").GetDouble() < 0.95, wide.ToString());
    }
}
