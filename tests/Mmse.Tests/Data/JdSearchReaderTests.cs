using System.Text.Json;
using Mmse.Data;

namespace Mmse.Tests.Data;

public class JdSearchReaderTests
{
    private const char X = '\u0018'; // the dataset's term separator (^X)

    private static string Terms(params int[] ids) => string.Join(X, ids);

    /// <summary>Header row, then three products: full, sparse (-1 and empty fields), and one with two category levels.</summary>
    private static string WriteProducts(TempDir dir, string name = "product_data.txt") => dir.Write(name,
        string.Join('\t', JdSearchReader.ProductColumns),
        string.Join('\t', "101", Terms(5, 6, 7), "9", Terms(50), "1", Terms(11), "2", Terms(12, 13), "3", Terms(14), "4", Terms(15), "77"),
        string.Join('\t', "102", Terms(8), "-1", "-1", "-1", "-1", "-1", "-1", "-1", "-1", "-1", "-1", ""),
        string.Join('\t', "103", Terms(5, 9), "9", Terms(50), "1", Terms(11), "2", Terms(12, 13), "-1", "-1", "-1", "", "78"));

    private static string ReleaseLine(string query, string wids, string labels, string hq = "", string hw = "", string ht = "", string times = "0") =>
        string.Join('\t', query, wids, labels, hq, hw, ht, times);

    [Fact]
    public void Products_map_term_ids_to_text_and_ids_to_attributes()
    {
        using var dir = new TempDir();
        var catalog = JdSearchReader.ReadCatalog(WriteProducts(dir));

        Assert.Equal(3, catalog.Count);
        Assert.Equal(["101", "102", "103"], catalog.Ids);
        Assert.Equal("5 6 7", catalog.Titles[0]);
        Assert.Equal("50", catalog.Brands[0]);
        Assert.Equal("11 > 12 13 > 14 > 15", catalog.Categories[0]);
        Assert.Equal("77", catalog.Shops[0]);
        Assert.Equal("9", catalog.Attribute(0, "brand_id"));
        Assert.Equal("1", catalog.Attribute(0, "cate_id_1"));
        Assert.Equal("4", catalog.Attribute(0, "cate_id_4"));
        Assert.True(float.IsNaN(catalog.Prices[0]));

        Assert.Equal("8", catalog.Titles[1]);
        Assert.Null(catalog.Brands[1]);
        Assert.Null(catalog.Categories[1]);
        Assert.Null(catalog.Shops[1]);
        Assert.Equal(catalog.AttributeOffsets[1], catalog.AttributeOffsets[2]);

        Assert.Equal("11 > 12 13", catalog.Categories[2]);
        Assert.Null(catalog.Attribute(2, "cate_id_3"));
    }

    [Fact]
    public void Release_lines_become_requests_with_labels_as_actions()
    {
        using var dir = new TempDir();
        var catalog = JdSearchReader.ReadCatalog(WriteProducts(dir));
        var path = dir.Write("release_data.txt",
            string.Join('\t', JdSearchReader.ReleaseColumns),
            ReleaseLine(Terms(1, 2, 3), "101_999_102_103", "3.0_1.0_0.0_2.0", Terms(4) + "_-1", "101_102", "CLICK_ORD", "0_5_7"),
            ReleaseLine(Terms(4), "102", "1", times: "0"));

        var log = JdSearchReader.ReadLog(path, catalog);

        Assert.Equal(2, log.Count);
        Assert.Equal("1 2 3", log.Queries[0]);
        Assert.Null(log.Users[0]);
        Assert.Equal(SearchLog.NoTime, log.Times[0]);
        // 999 is not in product_data.txt: dropped and counted (the dataset has such products).
        Assert.Equal([0, 1, 2], log.ItemsOf(0).ToArray());
        Assert.Equal([UserAction.Order, UserAction.None, UserAction.Cart], log.ActionsOf(0).ToArray());
        Assert.Equal(1, log.UnknownItemIds);
        Assert.Equal("4", log.Queries[1]);
        Assert.Equal([1], log.ItemsOf(1).ToArray());
        Assert.Equal([UserAction.Click], log.ActionsOf(1).ToArray());
    }

    [Fact]
    public void History_groups_consecutive_interactions_under_one_query()
    {
        using var dir = new TempDir();
        var catalog = JdSearchReader.ReadCatalog(WriteProducts(dir));
        var q7 = Terms(7, 8);
        var path = dir.Write("release_data.txt",
            ReleaseLine(Terms(1), "101", "0.0",
                $"{q7}_{q7}_-1_{Terms(9)}_{q7}", "101_102_103_103_102", "CLICK_CART_ORD_FLW_ORD", "0_1_2_3_4_5"));

        var plain = JdSearchReader.ReadLog(path, catalog);
        Assert.Equal(1, plain.Count);

        var log = JdSearchReader.ReadLog(path, catalog, new DataReadOptions { JdSearch = new JdSearchOptions { IncludeHistory = true } });
        Assert.Equal(["7 8", "9", "7 8", "1"], log.Queries);
        Assert.Equal([0, 1], log.ItemsOf(0).ToArray());
        Assert.Equal([UserAction.Click, UserAction.Cart], log.ActionsOf(0).ToArray());
        Assert.Equal([2], log.ItemsOf(1).ToArray()); // the query-less ORD of 103 is left out
        Assert.Equal([UserAction.Click], log.ActionsOf(1).ToArray()); // FLW counts as a click
        Assert.Equal([1], log.ItemsOf(2).ToArray());
        Assert.Equal([UserAction.Order], log.ActionsOf(2).ToArray());
        Assert.Equal([0], log.ItemsOf(3).ToArray());
    }

    [Theory]
    [InlineData("1\t101\t0.0", null, "3 columns, but release_data.txt has 7")]
    [InlineData("1\t101_102\t0.0\t\t\t\t0", "candidate_label_list", "1 labels for 2 candidates")]
    [InlineData("1\t101_102\t0.0_4.0\t\t\t\t0", "candidate_label_list[1]", "label '4.0' must be 0, 1, 2 or 3")]
    [InlineData("1\t101__102\t0_0_0\t\t\t\t0", "candidate_wid_list[1]", "empty product id")]
    [InlineData("-1\t101\t0\t\t\t\t0", "query", "missing")]
    public void Bad_release_lines_name_the_line_and_field(string line, string? field, string problem)
    {
        using var dir = new TempDir();
        var catalog = JdSearchReader.ReadCatalog(WriteProducts(dir));
        var path = dir.Write("release_data.txt", ReleaseLine("1", "101", "0"), line);

        var e = Assert.Throws<MmseDataException>(() => JdSearchReader.ReadLog(path, catalog));
        Assert.Equal(2, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith(path + ":2:", e.Message);

        var problems = new DataProblems();
        var log = JdSearchReader.ReadLog(path, catalog, new DataReadOptions { SkipBad = true }, problems);
        Assert.Equal(1, log.Count);
        Assert.Equal(1, problems.Count);
    }

    [Fact]
    public void Unknown_history_type_and_missing_products_can_be_errors()
    {
        using var dir = new TempDir();
        var catalog = JdSearchReader.ReadCatalog(WriteProducts(dir));
        var history = new DataReadOptions { JdSearch = new JdSearchOptions { IncludeHistory = true } };
        var badType = dir.Write("release_data.txt", ReleaseLine("1", "101", "0", "2", "101", "BUY", "0_1"));
        var e = Assert.Throws<MmseDataException>(() => JdSearchReader.ReadLog(badType, catalog, history));
        Assert.Equal("history_type_list[0]", e.Field);

        var missing = dir.Write("release_data.txt", ReleaseLine("1", "101_555", "0_0"));
        var strict = new DataReadOptions { JdSearch = new JdSearchOptions { DropMissingProducts = false } };
        e = Assert.Throws<MmseDataException>(() => JdSearchReader.ReadLog(missing, catalog, strict));
        Assert.Equal("candidate_wid_list[1]", e.Field);
        Assert.Contains("'555' is not in the catalog", e.Message);
    }

    [Fact]
    public void Bad_product_lines_name_the_line_and_field()
    {
        using var dir = new TempDir();
        var path = dir.Write("product_data.txt",
            string.Join('\t', "1", "2", "", "", "", "", "", "", "", "", "", "", ""),
            string.Join('\t', "1", "3", "", "", "", "", "", "", "", "", "", "", ""),
            "2\t5");
        var e = Assert.Throws<MmseDataException>(() => JdSearchReader.ReadCatalog(path));
        Assert.Equal(2, e.Line);
        Assert.Equal("wid", e.Field);
        Assert.Contains("duplicate product id '1'", e.Message);

        var problems = new DataProblems();
        var catalog = JdSearchReader.ReadCatalog(path, new DataReadOptions { SkipBad = true }, problems);
        Assert.Equal(1, catalog.Count);
        Assert.Equal(2, problems.Count);
        Assert.Contains(":3: 2 columns, but product_data.txt has 13", problems.First[1]);
    }

    [Fact]
    public void Data_stats_detects_the_format_by_file_name_or_flag()
    {
        using var dir = new TempDir();
        var products = WriteProducts(dir);
        var release = dir.Write("release_data.txt", ReleaseLine(Terms(1, 2), "101_102", "3.0_0.0"), ReleaseLine(Terms(1, 2), "102_101", "0.0_0.0"));
        var json = dir.File("stats.json");

        var result = CliRunner.Run("data", "stats", "--catalog", products, "--log", release, "--json", json);
        Assert.Equal(0, result.ExitCode);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var root = doc.RootElement;
            Assert.Equal(2, root.GetProperty("requests").GetInt32());
            Assert.Equal(3, root.GetProperty("catalog_items").GetInt32());
            Assert.Equal(1, root.GetProperty("levels").GetProperty("order").GetInt64());
            Assert.Equal(3, root.GetProperty("levels").GetProperty("none").GetInt64());
            Assert.Equal(1, root.GetProperty("inconsistent_pairs").GetInt64());
            Assert.Equal("1 2", root.GetProperty("top_queries")[0].GetProperty("query").GetString());
        }

        // Renamed files need the flag; without it they are read as JSONL and rejected clearly.
        var p2 = dir.File("items.tsv.txt");
        var r2 = dir.File("log.txt");
        File.Copy(products, p2);
        File.Copy(release, r2);
        Assert.Equal(2, CliRunner.Run("data", "stats", "--catalog", p2, "--log", r2).ExitCode);
        result = CliRunner.Run("data", "stats", "--catalog", p2, "--log", r2, "--format", "jdsearch");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("2 requests", result.Out);
    }

    [Fact]
    public void Format_jsonl_reads_jdsearch_names_as_jsonl()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("product_data.txt", """{"id": "1", "title": "a"}""");
        var log = dir.Write("release_data.txt", """{"query": "q", "items": [{"id": "1", "action": "order"}]}""");

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--format", "jsonl");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 requests", result.Out);

        // Auto-detection takes the names at their word and reports the first bad JDsearch line.
        result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{catalog}:1: 1 columns, but product_data.txt has 13", result.Error);

        Assert.Equal(2, CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--format", "xml").ExitCode);
        Assert.Contains("--format F", CliRunner.Run("data", "stats", "--help").Out);
    }
}
