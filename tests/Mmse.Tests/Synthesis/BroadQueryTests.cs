using System.Text.Json;
using Mmse.Data;
using Mmse.Synthesis;

namespace Mmse.Tests.Synthesis;

/// <summary>Ambiguous-word and department-word queries (SynthOptions.AmbiguousQueryRate, DepartmentQueryRate).</summary>
public class BroadQueryTests
{
    private static readonly SynthOptions s_small = new() { Items = 3000, Requests = 3000, Days = 10, TestDays = 2, ValidDays = 1, Seed = 5, BlockSize = 256 };

    private static (string[] Queries, string[] Types) TestIntents(string dir)
    {
        var intents = File.ReadAllLines(Path.Combine(dir, "intents.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        return ([.. intents.Select(i => i.GetProperty("query").GetString()!)], [.. intents.Select(i => i.GetProperty("type").GetString()!)]);
    }

    [Fact]
    public void Ambiguous_queries_are_one_word_naming_the_intent_family_and_another_one()
    {
        using var dir = new TempDir();
        var options = s_small with { AmbiguousQueryRate = 1, BrandOnlyQueryRate = 0, ModelQueryRate = 0, DepartmentQueryRate = 0, Threads = 2 };
        SyntheticMarketplace.Generate(options, dir.Path);
        var taxonomy = SynthWorld.Create(options).Taxonomy;
        var (queries, types) = TestIntents(dir.Path);
        Assert.True(queries.Length > 100);
        var familyOf = taxonomy.Types.ToDictionary(t => t.Name, t => taxonomy.Families[t.Family]);
        static IEnumerable<string> Words(ProductFamily f) => f.Noun.Forms.SelectMany(n => n.Split(' '));
        var distinctTypes = new HashSet<string>();
        foreach (var (query, type) in queries.Zip(types))
        {
            Assert.DoesNotContain(' ', query);
            var family = familyOf[type];
            // The word (or its singular/plural switch) names the intent's family and at least one other.
            string[] forms = [query, RequestGenerator.SwitchPlural(query)];
            Assert.True(forms.Any(w => Words(family).Contains(w) && taxonomy.Families.Any(f => f.Index != family.Index && Words(f).Contains(w))),
                $"'{query}' ({type}) does not name its family and another one");
            distinctTypes.Add(type);
        }
        // One word, several intents: some query text is used by shoppers wanting different families.
        var familiesPerQuery = queries.Zip(types).GroupBy(p => p.First).Select(g => g.Select(p => familyOf[p.Second].Index).Distinct().Count());
        Assert.Contains(familiesPerQuery, n => n >= 2);
        Assert.True(distinctTypes.Count > 20);
    }

    [Fact]
    public void Department_queries_name_the_intent_department()
    {
        using var dir = new TempDir();
        var options = s_small with { DepartmentQueryRate = 1, BrandOnlyQueryRate = 0, ModelQueryRate = 0, AmbiguousQueryRate = 0, Threads = 1 };
        SyntheticMarketplace.Generate(options, dir.Path);
        var taxonomy = SynthWorld.Create(options).Taxonomy;
        var (queries, types) = TestIntents(dir.Path);
        var departmentOf = taxonomy.Types.ToDictionary(t => t.Name, t => taxonomy.Departments[taxonomy.Families[t.Family].Department]);
        foreach (var (query, type) in queries.Zip(types))
            Assert.Contains(query, departmentOf[type].Name.Canonical.ToLowerInvariant(), StringComparison.Ordinal);
        Assert.True(queries.Distinct().Count() > 10);
    }

    [Fact]
    public void Every_test_intent_carries_the_segment_of_its_query_kind()
    {
        using var dir = new TempDir();
        var options = s_small with { AmbiguousQueryRate = 0.2, DepartmentQueryRate = 0.2, BrandOnlyQueryRate = 0.1, ModelQueryRate = 0.1, Threads = 2 };
        SyntheticMarketplace.Generate(options, dir.Path);
        var taxonomy = SynthWorld.Create(options).Taxonomy;
        var departmentOf = taxonomy.Types.ToDictionary(t => t.Name, t => taxonomy.Departments[taxonomy.Families[t.Family].Department].Name.Canonical.ToLowerInvariant());
        var intents = File.ReadAllLines(dir.File("intents.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(File.ReadAllLines(dir.File("test.jsonl")).Length, intents.Length);
        var seen = new HashSet<string>();
        foreach (var intent in intents)
        {
            var segment = intent.GetProperty("segment").GetString()!;
            var query = intent.GetProperty("query").GetString()!;
            var type = intent.GetProperty("type").GetString()!;
            bool Has(string name) => intent.TryGetProperty(name, out _);
            var constraints = new[] { "brand", "attributes", "max_price", "model" }.Count(Has);
            Assert.Contains(segment, SynthSegments.All);
            seen.Add(segment);
            switch (segment)
            {
                case SynthSegments.BroadWord:
                    Assert.Equal(0, constraints);
                    Assert.DoesNotContain(' ', query);
                    break;
                case SynthSegments.BroadDepartment:
                    Assert.Equal(0, constraints);
                    Assert.Contains(query, departmentOf[type], StringComparison.Ordinal);
                    break;
                case SynthSegments.BrandOnly:
                    Assert.True(Has("brand") && constraints == 1, query);
                    break;
                case SynthSegments.Model:
                    Assert.True(Has("model") && constraints == 1, query);
                    break;
                case SynthSegments.Plain:
                    Assert.Equal(0, constraints);
                    break;
                default:
                    Assert.True(constraints > 0 && !Has("model"), query);
                    break;
            }
        }
        Assert.Equal(SynthSegments.All.Order(), seen.Order());
        // The file serves as --segments for the test log as it is.
        var segments = Mmse.Evaluation.QuerySegments.Read(dir.File("intents.jsonl"), intents.Length);
        Assert.Contains("broad", segments.Names);
        Assert.Equal(segments.Members(SynthSegments.BroadWord).Length + segments.Members(SynthSegments.BroadDepartment).Length, segments.Members("broad").Length);
    }

    [Fact]
    public void Zero_rates_leave_the_other_queries_unchanged_and_default_rates_are_deterministic()
    {
        using var dir = new TempDir();
        var none = s_small with { AmbiguousQueryRate = 0, DepartmentQueryRate = 0 };
        SyntheticMarketplace.Generate(none with { Threads = 1 }, dir.File("none"));
        SyntheticMarketplace.Generate(s_small with { Threads = 1 }, dir.File("a"));
        SyntheticMarketplace.Generate(s_small with { Threads = 3 }, dir.File("b"));
        foreach (var name in SyntheticMarketplace.Files)
            Assert.True(File.ReadAllBytes(dir.File("a/" + name)).AsSpan().SequenceEqual(File.ReadAllBytes(dir.File("b/" + name))), $"{name} differs");
        // The catalog does not depend on the query mix, and broad queries do occur at the default rates.
        Assert.True(File.ReadAllBytes(dir.File("none/catalog.jsonl")).AsSpan().SequenceEqual(File.ReadAllBytes(dir.File("a/catalog.jsonl"))));
        var (q0, _) = TestIntents(dir.File("none"));
        Assert.DoesNotContain("\"segment\":\"broad/", File.ReadAllText(dir.File("none/intents.jsonl")), StringComparison.Ordinal);
        var (q1, _) = TestIntents(dir.File("a"));
        var departments = SynthWorld.Create(s_small).Taxonomy.Departments
            .SelectMany(d => d.Name.Canonical.ToLowerInvariant().Split('&', StringSplitOptions.TrimEntries)).ToHashSet();
        Assert.True(q1.Count(departments.Contains) > q0.Count(departments.Contains));
    }

    [Fact]
    public void Zero_rates_write_the_files_of_the_generator_before_broad_queries()
    {
        // SHA-256 of the files `mmse synth --items 3000 --requests 4000 --days 10 --test-days 2
        // --valid-days 1 --seed 11` wrote before AmbiguousQueryRate and DepartmentQueryRate existed.
        using var dir = new TempDir();
        var options = new SynthOptions { Items = 3000, Requests = 4000, Days = 10, TestDays = 2, ValidDays = 1, Seed = 11, Threads = 2, AmbiguousQueryRate = 0, DepartmentQueryRate = 0 };
        SyntheticMarketplace.Generate(options, dir.Path);
        string Hash(string name) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(dir.File(name))));
        Assert.Equal("61b63dd879f22edda93530ba5fc9c010382d08c8f1d464466972c371bbe65ca6", Hash("train.jsonl"));
        Assert.Equal("ad05a56136f3d89c67d31ffb4bd1529f00bec47aa49a0e1687717d8728741e28", Hash("test.jsonl"));
        Assert.Equal("e75a67da529f03d8574753c66dceb59228b3c8ee459c14575d63eb5d71d0749e", Hash("truth.jsonl"));
        Assert.Equal("45aca0e41b441b790ff1da542b041439b9c2dc5e35877e4613b938333c80467d", Hash("catalog.jsonl"));
    }

    [Fact]
    public void Rates_that_sum_above_one_are_refused()
    {
        var bad = s_small with { AmbiguousQueryRate = 0.6, DepartmentQueryRate = 0.5 };
        var e = Assert.Throws<MmseInputException>(bad.Validate);
        Assert.Contains("ambiguous", e.Message, StringComparison.Ordinal);
    }
}
