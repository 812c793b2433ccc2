using System.Text;
using System.Text.Json;

namespace Mmse.Tests.Cli;

/// <summary>
/// Every bad-input case of issue 2 through the CLI: exit 2 with file, line and field and no stack
/// trace; with --skip-bad the run finishes (exit 0) and reports how many records it skipped.
/// </summary>
public class BadInputTests
{
    // Line 2 (the one the cases replace) is an item no request refers to, so skipping it skips one record only.
    private const string GoodCatalog = """
        {"id": "1", "title": "steel bracket"}
        {"id": "4", "title": "pine board"}
        {"id": "2", "title": "brass hinge"}
        {"id": "3", "title": "oak shelf"}
        """;

    private const string GoodLog = """
        {"query": "bracket", "items": [{"id": "1", "action": "order"}, {"id": "2"}]}
        {"query": "hinge", "items": [{"id": "2", "action": "click"}, {"id": "3"}]}
        {"query": "shelf", "items": [{"id": "3", "action": "cart"}]}
        """;

    /// <summary>Replaces line 2 (1-based) of a fixture.</summary>
    private static string WithLine2(string text, string line)
    {
        var lines = text.Split('\n');
        lines[1] = line;
        return string.Join('\n', lines);
    }

    public static TheoryData<string, string, string, string?, string> Cases() => new()
    {
        // file, bad line 2, expected problem text, field, case name
        { "catalog", """{"id": "2", "title": "brass hinge" """, "malformed JSON", null, "catalog malformed JSON" },
        { "catalog", """{"title": "brass hinge"}""", "missing", "id", "catalog missing id" },
        { "catalog", """{"id": "1", "title": "again"}""", "duplicate catalog id '1'", "id", "duplicate catalog id" },
        { "catalog", """{"id": "2", "title": "brass hinge"}} """, "malformed JSON", null, "catalog trailing garbage" },
        { "log", """{"query": "hinge", "items": [{"id": "2"}""", "malformed JSON", null, "log malformed JSON" },
        { "log", """{"items": [{"id": "2"}]}""", "missing", "query", "log missing query" },
        { "log", """{"query": "hinge"}""", "missing", "items", "log missing items" },
        { "log", """{"query": "hinge", "items": [{"id": "2"}, {"id": "3", "action": "buy"}]}""", "unknown action 'buy'", "items[1].action", "unknown action" },
        { "log", """{"query": "hinge", "items": [{"id": "2"}, {"action": "click"}]}""", "missing", "items[1].id", "log item without id" },
        { "log", """{"query": "hinge", "items": [{"id": "404"}]}""", "item '404' is not in the catalog", "items[0].id", "item absent from catalog" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_jsonl_record_exits_2_naming_file_line_and_field(string which, string badLine, string problem, string? field, string name)
    {
        using var dir = new TempDir();
        var catalog = dir.File("catalog.jsonl");
        var log = dir.File("log.jsonl");
        File.WriteAllText(catalog, which == "catalog" ? WithLine2(GoodCatalog, badLine) : GoodCatalog);
        File.WriteAllText(log, which == "log" ? WithLine2(GoodLog, badLine) : GoodLog);
        var bad = which == "catalog" ? catalog : log;

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log);
        Assert.True(result.ExitCode == 2, $"{name}: exit {result.ExitCode}, {result.Error}");
        Assert.Contains($"{bad}:2:", result.Error);
        Assert.Contains(problem, result.Error);
        if (field is not null)
            Assert.Contains($"field '{field}'", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Out);

        AssertSkipBadFinishes(dir, catalog, log, bad);
    }

    [Theory]
    [InlineData("catalog")]
    [InlineData("log")]
    public void Invalid_utf8_exits_2_naming_file_and_line(string which)
    {
        using var dir = new TempDir();
        var catalog = dir.File("catalog.jsonl");
        var log = dir.File("log.jsonl");
        File.WriteAllText(catalog, GoodCatalog);
        File.WriteAllText(log, GoodLog);
        var bad = which == "catalog" ? catalog : log;
        var bytes = File.ReadAllBytes(bad).ToList();
        var secondLine = bytes.IndexOf((byte)'\n') + 1;
        bytes.InsertRange(secondLine + 12, new byte[] { 0xC3, 0x28 }); // a lead byte without its continuation
        File.WriteAllBytes(bad, [.. bytes]);

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{bad}:2: invalid UTF-8", result.Error);
        Assert.DoesNotContain("   at ", result.Error);

        AssertSkipBadFinishes(dir, catalog, log, bad);
    }

    [Theory]
    [InlineData("catalog.csv", "id,title,brand\n1,steel bracket,HardCo\n2,brass hinge\n3,oak shelf,Oak\n", "2 columns, but the header has 3")]
    [InlineData("catalog.csv", "id,title,brand\n1,steel bracket,HardCo\n2,\"brass, hinge\",x,y\n3,oak shelf,Oak\n", "4 columns, but the header has 3")]
    [InlineData("catalog.csv", "id,title,brand\n1,steel bracket,HardCo\n2,\"brass hinge,x\n3,oak shelf,Oak\n", "unterminated quoted field")]
    [InlineData("catalog.tsv", "id\ttitle\tbrand\n1\tsteel bracket\tHardCo\n2\tbrass hinge\n3\toak shelf\tOak\n", "2 columns, but the header has 3")]
    [InlineData("catalog.tsv", "id\ttitle\tbrand\n1\tsteel bracket\tHardCo\n2\tbrass hinge\tx\ty\n3\toak shelf\tOak\n", "4 columns, but the header has 3")]
    public void Wrong_column_count_in_csv_and_tsv_exits_2_naming_the_line(string name, string text, string problem)
    {
        using var dir = new TempDir();
        var catalog = dir.File(name);
        var log = dir.File("log.jsonl");
        File.WriteAllText(catalog, text);
        File.WriteAllText(log, GoodLog.Replace("""{"id": "2"}""", """{"id": "1"}""", StringComparison.Ordinal)
            .Replace("""{"id": "2", "action": "click"}, """, "", StringComparison.Ordinal));

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{catalog}:3:", result.Error);
        Assert.Contains(problem, result.Error);
        Assert.DoesNotContain("   at ", result.Error);

        var json = dir.File("stats.json");
        var skipped = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--skip-bad", "--json", json);
        Assert.Equal(0, skipped.ExitCode);
        Assert.Contains("skipped 1 bad record", skipped.Error);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2, doc.RootElement.GetProperty("catalog_items").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("bad_records").GetInt64());
    }

    [Theory]
    [InlineData("catalog.jsonl", "")]
    [InlineData("catalog.jsonl", "\n  \n")]
    [InlineData("catalog.csv", "")]
    [InlineData("catalog.tsv", "id\ttitle\n")]
    [InlineData("log.jsonl", "")]
    public void Empty_file_exits_2_naming_it_even_with_skip_bad(string name, string text)
    {
        using var dir = new TempDir();
        var catalog = dir.File(name.StartsWith("catalog", StringComparison.Ordinal) ? name : "catalog.jsonl");
        var log = dir.File("log.jsonl");
        File.WriteAllText(catalog, name.StartsWith("catalog", StringComparison.Ordinal) ? text : GoodCatalog);
        File.WriteAllText(log, name == "log.jsonl" ? text : GoodLog);
        var bad = dir.File(name);

        foreach (var skip in new[] { false, true })
        {
            var result = skip
                ? CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--skip-bad")
                : CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"{bad}: ", result.Error);
            Assert.Contains("empty", result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
    }

    [Fact]
    public void Skip_bad_counts_every_bad_record_and_shows_the_first_few()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("catalog.jsonl", GoodCatalog);
        var lines = new List<string>();
        for (var i = 0; i < 8; i++)
            lines.Add("""{"query": "x", "items": [{"id": "1", "action": "buy"}]}""");
        lines.Add("""{"query": "ok", "items": [{"id": "1"}]}""");
        var log = dir.Write("log.jsonl", [.. lines]);

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--skip-bad");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("skipped 8 bad record(s)", result.Error);
        Assert.Contains($"{log}:5:", result.Error);
        Assert.DoesNotContain($"{log}:6:", result.Error); // the first five are shown
        Assert.Contains("bad records skipped 8", result.Out);
        Assert.Contains("1 requests", result.Out);
    }

    [Fact]
    public void A_failed_run_leaves_an_existing_json_output_untouched()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("catalog.jsonl", GoodCatalog);
        var log = dir.Write("log.jsonl", WithLine2(GoodLog, """{"query": "hinge", "items": [{"id": "404"}]}"""));
        var json = dir.Write("stats.json", "previous results");

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--json", json);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("previous results\n", File.ReadAllText(json));
        Assert.Equal(["catalog.jsonl", "log.jsonl", "stats.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var ok = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--json", json, "--skip-bad");
        Assert.Equal(0, ok.ExitCode);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        // The request whose only item was unknown stays, with no items (the unknown id is dropped and counted).
        Assert.Equal(3, doc.RootElement.GetProperty("requests").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("unknown_item_ids").GetInt64());
        Assert.Equal(["catalog.jsonl", "log.jsonl", "stats.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private static void AssertSkipBadFinishes(TempDir dir, string catalog, string log, string bad)
    {
        var json = dir.File("stats.json");
        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--skip-bad", "--json", json);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("skipped 1 bad record(s)", result.Error);
        Assert.Contains($"{bad}:2:", result.Error);
        Assert.Contains("bad records skipped 1", result.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(json, Encoding.UTF8));
        Assert.Equal(1, doc.RootElement.GetProperty("bad_records").GetInt64());
    }
}
