using System.Globalization;
using System.Text.Json;
using Mmse.Data;
using Mmse.Synthesis;

namespace Mmse.Tests.Synthesis;

public class SyntheticMarketplaceTests
{
    private static readonly SynthOptions s_small = new() { Items = 3000, Requests = 4000, Days = 10, TestDays = 2, ValidDays = 1, Seed = 11, BlockSize = 256 };

    private static void AssertSameFiles(string a, string b)
    {
        foreach (var name in SyntheticMarketplace.Files)
            Assert.True(File.ReadAllBytes(Path.Combine(a, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, name))), $"{name} differs");
    }

    [Fact]
    public void Same_seed_gives_the_same_bytes_whatever_the_thread_count()
    {
        using var dir = new TempDir();
        SyntheticMarketplace.Generate(s_small with { Threads = 1 }, dir.File("a"));
        SyntheticMarketplace.Generate(s_small with { Threads = 4 }, dir.File("b"));
        AssertSameFiles(dir.File("a"), dir.File("b"));
        SyntheticMarketplace.Generate(s_small with { Seed = 12, Threads = 2 }, dir.File("c"));
        Assert.False(File.ReadAllBytes(dir.File("a/train.jsonl")).AsSpan().SequenceEqual(File.ReadAllBytes(dir.File("c/train.jsonl"))));
    }

    [Fact]
    public void Every_grade_and_every_action_occurs_and_the_split_follows_time()
    {
        using var dir = new TempDir();
        var summary = SyntheticMarketplace.Generate(s_small with { Threads = 2 }, dir.Path);
        Assert.All(summary.Train.DisplayedByGrade, n => Assert.True(n > 0));
        Assert.All(summary.Train.ActedByGrade, n => Assert.True(n > 0));
        var catalog = CatalogReader.Read(dir.File("catalog.jsonl"));
        Assert.Equal(3000, catalog.Count);
        var logs = new[] { "train", "valid", "test" }.Select(s => SearchLogReader.Read(dir.File(s + ".jsonl"), catalog)).ToArray();
        var train = logs[0];
        foreach (var action in new[] { UserAction.None, UserAction.Click, UserAction.Cart, UserAction.Order })
            Assert.Contains(action, train.Actions);
        Assert.Equal(4000, logs.Sum(l => l.Count));
        Assert.True(train.Times.Max() < logs[1].Times.Min() && logs[1].Times.Max() < logs[2].Times.Min());
        for (var r = 0; r < train.Count; r++)
            Assert.InRange(train.ItemsOf(r).Length, 20, 40);
        // Shapes of issue 3: some requests with an order, more clicks than orders, most items ignored.
        var stats = LogStatistics.Compute(catalog, train);
        Assert.InRange((double)stats.RequestsWithOrder / stats.Requests, 0.03, 0.34);
        Assert.True(stats.Click > stats.Order);
        Assert.True(stats.None > 0.8 * (stats.None + stats.Click + stats.Cart + stats.Order));
        var truth = SearchLogReader.Read(dir.File("truth.jsonl"), catalog);
        Assert.Contains(UserAction.Order, truth.Actions);
        Assert.Contains(UserAction.Click, truth.Actions);
    }

    [Fact]
    public void Truth_agrees_with_the_grade_rules_recomputed_from_the_catalog()
    {
        using var dir = new TempDir();
        var options = s_small with { Threads = 2 };
        SyntheticMarketplace.Generate(options, dir.Path);
        var catalog = CatalogReader.Read(dir.File("catalog.jsonl"));
        var test = SearchLogReader.Read(dir.File("test.jsonl"), catalog);
        var truth = SearchLogReader.Read(dir.File("truth.jsonl"), catalog);
        var intents = File.ReadAllLines(dir.File("intents.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(test.Count, truth.Count);
        Assert.Equal(test.Count, intents.Length);
        Assert.True(test.Count > 100);
        // The latent type of each item is the one thing the files do not say: take it from the world.
        var world = SynthWorld.Create(options);
        var typeName = Enumerable.Range(0, world.Count).Select(i => world.Taxonomy.Types[world.Types[i]].Name).ToArray();
        var exact = 0;
        for (var r = 0; r < test.Count; r++)
        {
            Assert.Equal(test.Queries[r], truth.Queries[r]);
            Assert.Equal(test.Times[r], truth.Times[r]);
            var intent = intents[r];
            Assert.Equal(test.Queries[r], intent.GetProperty("query").GetString());
            var expected = new Dictionary<int, UserAction>();
            for (var i = 0; i < catalog.Count; i++)
            {
                if (typeName[i] != intent.GetProperty("type").GetString()) continue;
                var ok = true;
                if (intent.TryGetProperty("brand", out var brand)) ok &= catalog.Brands[i] == brand.GetString();
                if (intent.TryGetProperty("attributes", out var attributes))
                {
                    foreach (var a in attributes.EnumerateObject())
                        ok &= catalog.Attribute(i, a.Name) == a.Value.GetString();
                }
                if (intent.TryGetProperty("max_price", out var max)) ok &= catalog.Prices[i] <= max.GetDouble();
                if (intent.TryGetProperty("model", out var model)) ok &= catalog.Attribute(i, "model") == model.GetString();
                expected[i] = ok ? UserAction.Order : UserAction.Click;
                if (ok) exact++;
            }
            var items = truth.ItemsOf(r);
            var actions = truth.ActionsOf(r);
            Assert.Equal(expected.Count, items.Length);
            for (var k = 0; k < items.Length; k++)
                Assert.Equal(expected[items[k]], actions[k]);
        }
        Assert.True(exact > 0);
    }

    [Fact]
    public void Grades_follow_the_rules_for_complements_and_other_types()
    {
        var world = SynthWorld.Create(s_small with { Threads = 1 });
        var taxonomy = world.Taxonomy;
        var phone = taxonomy.Types.First(t => t.Name == "flagship phone").Index;
        var item = Enumerable.Range(0, world.Count).First(i => world.Types[i] == phone);
        var caseItem = Enumerable.Range(0, world.Count).First(i => taxonomy.Families[taxonomy.Types[world.Types[i]].Family].Noun.Canonical == "phone case");
        var sofa = Enumerable.Range(0, world.Count).First(i => taxonomy.Families[taxonomy.Types[world.Types[i]].Family].Noun.Canonical == "sofa");
        var intent = SynthIntent.ForType(phone);
        Assert.Equal(3, SynthGrades.Grade(world, intent, item));
        Assert.Equal(2, SynthGrades.Grade(world, intent with { Brand = (world.Brands[item] + 1) % world.BrandList.Count }, item));
        Assert.Equal(2, SynthGrades.Grade(world, intent with { MaxPrice = world.Prices[item] / 2 }, item));
        Assert.Equal(1, SynthGrades.Grade(world, intent, caseItem));
        Assert.Equal(0, SynthGrades.Grade(world, intent, sofa));
    }

    [Fact]
    public void Taxonomy_is_large_with_synonyms_and_complements()
    {
        var taxonomy = Taxonomy.Build(1);
        Assert.True(taxonomy.Departments.Count >= 15);
        Assert.True(taxonomy.Types.Count >= 200);
        Assert.Contains(taxonomy.Families, f => f.Noun.Forms.Contains("sofa") && f.Noun.Forms.Contains("couch"));
        Assert.Contains(taxonomy.Families, f => f.Noun.Forms.Contains("sneakers") && f.Noun.Forms.Contains("trainers"));
        Assert.Contains(taxonomy.Attributes.Single(a => a.Key == "color").Values, v => v.Forms.Contains("grey") && v.Forms.Contains("gray"));
        var printer = taxonomy.Types.First(t => t.Name == "laser printer").Index;
        var ink = taxonomy.Types.First(t => t.Name.EndsWith("ink cartridge", StringComparison.Ordinal)).Index;
        Assert.True(taxonomy.IsComplement(printer, ink));
        Assert.False(taxonomy.IsComplement(ink, printer));
        Assert.Equal(taxonomy.Types.Count, taxonomy.Types.Select(t => t.Name).Distinct().Count());
    }

    [Theory]
    [InlineData(SynthLanguage.Zh)]
    [InlineData(SynthLanguage.Mixed)]
    public void Chinese_and_mixed_markets_write_cjk_titles_and_queries(SynthLanguage language)
    {
        using var dir = new TempDir();
        SyntheticMarketplace.Generate(s_small with { Language = language, Requests = 1000, Threads = 2 }, dir.Path);
        var catalog = CatalogReader.Read(dir.File("catalog.jsonl"));
        var train = SearchLogReader.Read(dir.File("train.jsonl"), catalog);
        static bool Cjk(string s) => s.Any(Mmse.Text.LexicalTokenizer.IsCjk);
        var cjkTitles = catalog.Titles.Count(Cjk);
        var cjkQueries = train.Queries.Count(Cjk);
        Assert.True(cjkTitles > catalog.Count / 4);
        Assert.True(cjkQueries > train.Count / 4);
        if (language == SynthLanguage.Mixed)
        {
            Assert.True(cjkTitles < catalog.Count * 3 / 4);
            Assert.True(cjkQueries < train.Count * 3 / 4);
        }
    }

    [Fact]
    public void Fast_log_lines_equal_the_search_log_writer()
    {
        using var dir = new TempDir();
        string[] queries = ["men's \"black\" sneakers", "黑色跑步鞋 under $50", "back\\slash\ttab\n\u0001\u001f\u007f", "a+b&c<d>e'f é ü"];
        var buffer = new JsonlBuffer();
        using (var writer = new SearchLogJsonlWriter(dir.File("ref.jsonl")))
        {
            foreach (var (q, n) in queries.Select((q, n) => (q, n)))
            {
                int[] items = [n, 5, 17];
                UserAction[] actions = [UserAction.Order, UserAction.None, UserAction.Cart];
                var time = 1_767_225_600L + n * 3601;
                writer.Write(q, "u" + n, time * 1000, items.Select((i, k) => new LogItem((RequestGenerator.IdBase + i).ToString(CultureInfo.InvariantCulture), actions[k])).ToArray());
                buffer.Request(q, "u" + n, time, items, actions, RequestGenerator.IdBase);
            }
            writer.Commit();
        }
        Assert.Equal(File.ReadAllBytes(dir.File("ref.jsonl")), buffer.Span.ToArray());
    }

    [Fact]
    public void Catalog_bytes_equal_the_catalog_writer()
    {
        using var dir = new TempDir();
        var options = s_small with { Language = SynthLanguage.Mixed, Requests = 50, Threads = 2 };
        SyntheticMarketplace.Generate(options, dir.File("m"));
        var world = SynthWorld.Create(options);
        using (var writer = new CatalogJsonlWriter(dir.File("ref.jsonl")))
        {
            for (var i = 0; i < world.Count; i++) writer.Write(SyntheticMarketplace.Item(world, i));
            writer.Commit();
        }
        Assert.Equal(File.ReadAllBytes(dir.File("ref.jsonl")), File.ReadAllBytes(dir.File("m/catalog.jsonl")));
    }

    [Fact]
    public void Max_test_requests_keeps_a_sample_and_leaves_the_other_files_alone()
    {
        using var dir = new TempDir();
        var all = SyntheticMarketplace.Generate(s_small with { MaxTestRequests = 0 }, dir.File("all"));
        var some = SyntheticMarketplace.Generate(s_small with { MaxTestRequests = 200 }, dir.File("some"));
        Assert.InRange(some.Test.Requests, 120, 280);
        Assert.Equal(all.Test.Requests, some.Test.Requests + some.TestRequestsDropped);
        Assert.Equal(File.ReadAllBytes(dir.File("all/train.jsonl")), File.ReadAllBytes(dir.File("some/train.jsonl")));
        var kept = File.ReadAllLines(dir.File("some/test.jsonl"));
        Assert.Empty(kept.Except(File.ReadAllLines(dir.File("all/test.jsonl"))));
    }

    [Fact]
    public void Query_noise_helpers_behave()
    {
        Assert.Equal("sneaker", RequestGenerator.SwitchPlural("sneakers"));
        Assert.Equal("running shoes", RequestGenerator.SwitchPlural("running shoe"));
        Assert.Equal("batteries", RequestGenerator.SwitchPlural("battery"));
        Assert.Equal("boxes", RequestGenerator.SwitchPlural("box"));
        var random = new SynthRandom(1, 2, 3);
        for (var k = 0; k < 50; k++)
        {
            var typo = RequestGenerator.Typo("sneakers", ref random);
            Assert.NotEqual("sneakers", typo);
            Assert.InRange(typo.Length, 7, 9);
        }
    }

    [Fact]
    public void Cli_writes_every_file_and_bad_arguments_exit_2()
    {
        using var dir = new TempDir();
        var ok = CliRunner.Run("synth", "--out", dir.Path, "--items", "500", "--requests", "300", "--seed", "5", "--threads", "1");
        Assert.True(ok.ExitCode == 0, ok.Error);
        foreach (var name in SyntheticMarketplace.Files)
            Assert.True(File.Exists(dir.File(name)), name);
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("manifest.json")));
        Assert.Equal("mmse-synth", manifest.RootElement.GetProperty("format").GetString());
        Assert.Equal(500, manifest.RootElement.GetProperty("options").GetProperty("items").GetInt32());
        Assert.Equal(300, manifest.RootElement.GetProperty("counts").GetProperty("train").GetProperty("requests").GetInt32()
            + manifest.RootElement.GetProperty("counts").GetProperty("valid").GetProperty("requests").GetInt32()
            + manifest.RootElement.GetProperty("counts").GetProperty("test").GetProperty("requests").GetInt32());

        string[][] bad =
        [
            ["synth"],
            ["synth", "--out", dir.Path, "--items", "5"],
            ["synth", "--out", dir.Path, "--lang", "fr"],
            ["synth", "--out", dir.Path, "--days", "5", "--test-days", "3", "--valid-days", "2"],
            ["synth", "--out", dir.Path, "--requests", "many"],
            ["synth", "--out", dir.Path, "--bogus"],
        ];
        foreach (var args in bad)
        {
            var result = CliRunner.Run(args);
            Assert.True(result.ExitCode == 2, string.Join(' ', args) + ": " + result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
    }
}
