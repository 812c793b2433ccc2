using System.Text.Json;
using Mmse.Tests.Fixtures;

namespace Mmse.Tests.Cli;

public class ModelCommandsTests
{
    [Fact]
    public void Train_defaults_to_the_arctic_backbone_and_embed_search_use_it()
    {
        using var dir = new TempDir();
        var market = new MarketFixture(items: 150, trainRequests: 200, testRequests: 20, seed: 4);
        var (catalog, train, _) = market.WriteJsonl(dir.Path);
        var model = dir.File("m.mmse");
        var run = CliRunner.Run("train", "--catalog", catalog, "--train", train, "--out", model, "--epochs", "1", "--threads", "1",
            "--buckets", "4096", "--embedding-dim", "8", "--batch-size", "64");
        Assert.True(run.ExitCode == 0, run.Error);
        var loaded = Mmse.Model.MmseModel.Load(model);
        Assert.Equal("arctic-xs", loaded.Options.Backbone);
        Assert.Equal(384, loaded.Dim);
        var embed = CliRunner.Run("embed", "--model", model, "--catalog", catalog, "--out", dir.File("vec"));
        Assert.True(embed.ExitCode == 0, embed.Error);
        Mmse.Data.Vectors.ReadFvecs(dir.File("vec/items.fvecs"), out var count, out var d);
        Assert.Equal((150, 384), (count, d));
        var search = CliRunner.Run("search", "--model", model, "--catalog", catalog, "-k", "3", "couch");
        Assert.True(search.ExitCode == 0, search.Error);
        // The backbone knows a couch is a sofa; the hashed tokens alone could not.
        Assert.Contains("sofa", search.Out, StringComparison.Ordinal);

        var bogus = CliRunner.Run("train", "--catalog", catalog, "--train", train, "--out", dir.File("x"), "--backbone", "bert-huge");
        Assert.Equal(2, bogus.ExitCode);
        Assert.Contains("unknown backbone 'bert-huge'", bogus.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_embed_search_and_eval_run_end_to_end()
    {
        using var dir = new TempDir();
        var market = new MarketFixture(items: 200, trainRequests: 300, testRequests: 50, seed: 9);
        var (catalog, train, test) = market.WriteJsonl(dir.Path);
        var config = dir.Write("config.json", """{"backbone": "none", "buckets": 4096, "embedding-dim": 16, "hidden": 24, "dim": 16, "batch-size": 64, "random-negatives": 32}""");
        var model = dir.File("m.mmse");
        var run = CliRunner.Run("train", "--catalog", catalog, "--train", train, "--out", model, "--config", config,
            "--epochs", "2", "--threads", "1", "--json", dir.File("run.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        using (var json = JsonDocument.Parse(File.ReadAllText(dir.File("run.json"))))
        {
            foreach (var key in new[] { "epochs", "requests_seen", "train_seconds", "train_requests_per_s", "best_valid_recall_order@100" })
                Assert.True(json.RootElement.TryGetProperty(key, out _), key);
            Assert.Equal(2, json.RootElement.GetProperty("epochs").GetInt32());
        }

        var embed = CliRunner.Run("embed", "--model", model, "--catalog", catalog, "--out", dir.File("vec"));
        Assert.True(embed.ExitCode == 0, embed.Error);
        var vectors = Mmse.Data.Vectors.ReadFvecs(dir.File("vec/items.fvecs"), out var count, out var d);
        Assert.Equal(200, count);
        Assert.Equal(16, d);
        Assert.Equal(200, vectors.Length / d);
        Assert.Equal(market.Catalog.Ids, File.ReadAllLines(dir.File("vec/items.ids")));

        var withQueries = CliRunner.Run("embed", "--model", model, "--catalog", catalog, "--queries", test, "--out", dir.File("vq"));
        Assert.True(withQueries.ExitCode == 0, withQueries.Error);
        var loaded = Mmse.Model.MmseModel.Load(model);
        var texts = File.ReadAllLines(dir.File("vq/queries.txt"));
        var queryVectors = Mmse.Data.Vectors.ReadFvecs(dir.File("vq/queries.fvecs"), out var queryRows, out var queryDim);
        Assert.Equal(16, queryDim);
        Assert.Equal(texts.Length * loaded.Heads, queryRows);
        var expected = loaded.EncodeQueries(texts, 1);
        Assert.Equal(expected.Length, queryVectors.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], queryVectors[i], 1e-6f);

        var search = CliRunner.Run("search", "--model", model, "--catalog", catalog, "-k", "3", "red", "kettle");
        Assert.True(search.ExitCode == 0, search.Error);
        Assert.Equal(3, search.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var eval = CliRunner.Run("eval", "--model", model, "--catalog", catalog, "--log", test, "--json", dir.File("eval.json"));
        Assert.True(eval.ExitCode == 0, eval.Error);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("eval.json")));
        Assert.True(doc.RootElement.GetProperty("requests").GetInt32() > 0);
        foreach (var name in Mmse.Evaluation.RetrievalMetrics.Names)
            Assert.True(doc.RootElement.GetProperty("metrics").TryGetProperty(name, out _), name);

        // Per segment: one label per test request, line by line.
        var requests = File.ReadAllLines(test).Length;
        var segments = dir.Write("seg.jsonl", [.. Enumerable.Range(0, requests).Select(i => i % 3 == 0 ? "{\"segment\":\"b\"}" : "{\"segment\":\"a/x\"}")]);
        var bySegment = CliRunner.Run("eval", "--model", model, "--catalog", catalog, "--log", test, "--segments", segments, "--json", dir.File("seg.json"));
        Assert.True(bySegment.ExitCode == 0, bySegment.Error);
        Assert.Contains("a/x", bySegment.Out, StringComparison.Ordinal);
        using var segDoc = JsonDocument.Parse(File.ReadAllText(dir.File("seg.json")));
        var rows = segDoc.RootElement.GetProperty("segments");
        Assert.Equal((requests + 2) / 3, rows.GetProperty("b").GetProperty("requests").GetInt32());
        Assert.Equal(requests - ((requests + 2) / 3), rows.GetProperty("a").GetProperty("requests").GetInt32());
        Assert.Equal(rows.GetProperty("a").GetProperty("metrics").GetProperty("ndcg@10").GetDouble(), rows.GetProperty("a/x").GetProperty("metrics").GetProperty("ndcg@10").GetDouble());
        double Weighted(string metric) => new[] { "a", "b" }.Sum(n => rows.GetProperty(n).GetProperty("defined").GetProperty(metric).GetInt64() * rows.GetProperty(n).GetProperty("metrics").GetProperty(metric).GetDouble())
            / new[] { "a", "b" }.Sum(n => rows.GetProperty(n).GetProperty("defined").GetProperty(metric).GetInt64());
        Assert.Equal(doc.RootElement.GetProperty("metrics").GetProperty("ndcg@10").GetDouble(), Weighted("ndcg@10"), 9);
        var badSegments = dir.Write("bad.jsonl", "{\"segment\":\"b\"}", "{\"label\":\"b\"}");
        var refused = CliRunner.Run("eval", "--model", model, "--catalog", catalog, "--log", test, "--segments", badSegments);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("bad.jsonl:2: field 'segment': missing", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_is_exit_code_2_with_a_clear_message()
    {
        using var dir = new TempDir();
        var notModel = dir.Write("m.mmse", "hello");
        var catalog = dir.Write("c.jsonl", """{"id": "1", "title": "red kettle"}""");
        var r = CliRunner.Run("search", "--model", notModel, "--catalog", catalog, "kettle");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("m.mmse", r.Error, StringComparison.Ordinal);
        var bad = CliRunner.Run("train", "--catalog", catalog, "--train", catalog, "--out", dir.File("x"), "--tau", "hot");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--tau", bad.Error, StringComparison.Ordinal);
        var unknown = CliRunner.Run("train", "--catalog", catalog, "--train", catalog, "--out", dir.File("x"), "--taux", "1");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--taux", unknown.Error, StringComparison.Ordinal);
    }
}
