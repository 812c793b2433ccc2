using System.Text.Json;
using Mmse.Tests.Fixtures;

namespace Mmse.Tests.Cli;

public class IndexedSearchCommandsTests
{
    /// <summary>train -> embed -> index -> search/eval --index, checked against exact search.</summary>
    [Fact]
    public void Search_and_eval_through_the_index_agree_with_exact_search()
    {
        using var dir = new TempDir();
        var market = new MarketFixture(items: 400, trainRequests: 400, testRequests: 80, seed: 4);
        var (catalog, train, test) = market.WriteJsonl(dir.Path);
        var config = dir.Write("config.json", """{"buckets": 4096, "embedding-dim": 16, "hidden": 24, "dim": 16, "batch-size": 64, "random-negatives": 32}""");
        var model = dir.File("m.mmse");
        Assert.Equal(0, CliRunner.Run("train", "--catalog", catalog, "--train", train, "--out", model, "--config", config, "--epochs", "2", "--threads", "1").ExitCode);
        Assert.Equal(0, CliRunner.Run("embed", "--model", model, "--catalog", catalog, "--out", dir.File("vec")).ExitCode);
        var index = CliRunner.Run("index", "--vectors", dir.File("vec/items.fvecs"), "--ids", dir.File("vec/items.ids"), "--out", dir.File("items.idx"), "--threads", "1");
        Assert.True(index.ExitCode == 0, index.Error);

        var exact = CliRunner.Run("search", "--model", model, "--catalog", catalog, "-k", "5", "red", "kettle");
        var approx = CliRunner.Run("search", "--model", model, "--catalog", catalog, "-k", "5", "--index", dir.File("items.idx"), "--ef", "200", "red", "kettle");
        Assert.True(approx.ExitCode == 0, approx.Error);
        static string[] Ids(string output) => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[2])];
        // 400 items with ef 200 per head: the index finds the exact top 5, with either walk.
        Assert.Equal(Ids(exact.Out), Ids(approx.Out));
        var perHead = CliRunner.Run("search", "--model", model, "--catalog", catalog, "-k", "5", "--index", dir.File("items.idx"), "--ef", "200", "--walk", "per-head", "red", "kettle");
        Assert.True(perHead.ExitCode == 0, perHead.Error);
        Assert.Equal(Ids(exact.Out), Ids(perHead.Out));
        var badWalk = CliRunner.Run("search", "--model", model, "--catalog", catalog, "--index", dir.File("items.idx"), "--walk", "both", "red");
        Assert.Equal(2, badWalk.ExitCode);
        Assert.Contains("option '--walk': 'both' is not one of fused, per-head", badWalk.Error);

        Assert.Equal(0, CliRunner.Run("eval", "--model", model, "--catalog", catalog, "--log", test, "--json", dir.File("exact.json")).ExitCode);
        var viaIndex = CliRunner.Run("eval", "--model", model, "--catalog", catalog, "--log", test, "--index", dir.File("items.idx"), "--json", dir.File("index.json"));
        Assert.True(viaIndex.ExitCode == 0, viaIndex.Error);
        var viaPerHead = CliRunner.Run("eval", "--model", model, "--catalog", catalog, "--log", test, "--index", dir.File("items.idx"), "--walk", "per-head", "--json", dir.File("per-head.json"));
        Assert.True(viaPerHead.ExitCode == 0, viaPerHead.Error);
        Assert.Contains("(index)", viaIndex.Out);
        using var e = JsonDocument.Parse(File.ReadAllText(dir.File("exact.json")));
        foreach (var file in new[] { "index.json", "per-head.json" })
        {
            using var i = JsonDocument.Parse(File.ReadAllText(dir.File(file)));
            Assert.Equal(e.RootElement.GetProperty("requests").GetInt32(), i.RootElement.GetProperty("requests").GetInt32());
            foreach (var name in new[] { "recall_order@10", "recall_order@100", "ndcg@10" })
            {
                var exactValue = e.RootElement.GetProperty("metrics").GetProperty(name).GetDouble();
                var indexValue = i.RootElement.GetProperty("metrics").GetProperty(name).GetDouble();
                Assert.InRange(indexValue, exactValue - 0.02, exactValue + 1e-9);
            }
        }
    }

    [Fact]
    public void An_index_of_another_dimension_is_refused_with_exit_2()
    {
        using var dir = new TempDir();
        var market = new MarketFixture(items: 60, trainRequests: 80, testRequests: 10, seed: 2);
        var (catalog, train, _) = market.WriteJsonl(dir.Path);
        var config = dir.Write("config.json", """{"buckets": 1024, "embedding-dim": 8, "hidden": 8, "dim": 8, "batch-size": 32, "random-negatives": 8}""");
        var model = dir.File("m.mmse");
        Assert.Equal(0, CliRunner.Run("train", "--catalog", catalog, "--train", train, "--out", model, "--config", config, "--epochs", "1", "--threads", "1").ExitCode);
        var vectors = new float[60 * 4];
        for (var v = 0; v < vectors.Length; v++) vectors[v] = (v % 7) + 1;
        Mmse.Data.Vectors.WriteFvecs(dir.File("other.fvecs"), vectors, 4);
        File.WriteAllLines(dir.File("other.ids"), market.Catalog.Ids);
        Assert.Equal(0, CliRunner.Run("index", "--vectors", dir.File("other.fvecs"), "--ids", dir.File("other.ids"), "--out", dir.File("other.idx")).ExitCode);
        var r = CliRunner.Run("search", "--model", model, "--catalog", catalog, "--index", dir.File("other.idx"), "kettle");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dimensional", r.Error);
    }
}
