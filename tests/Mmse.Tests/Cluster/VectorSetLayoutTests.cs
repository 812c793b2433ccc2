using System.Text.Json;
using System.Text.RegularExpressions;
using Mmse.Data;
using Mmse.Garnet;
using Mmse.Retrieval;

namespace Mmse.Tests.Cluster;

public class VectorSetLayoutTests
{
    private static readonly Catalog Shop = Build(
        new("1", "Steel angle bracket", "HardCo", "Tools > Hardware", "shopA", [new("material", "Steel")], 6),
        new("2", "Brass hinge", "HardCo", "Tools > Hardware > Hinges", "shopB", [new("Material", "brass")], 9),
        new("3", "Odd bracket", "Hard \"Co\" & Sons", "Tools > Hardwareish", "shopA", [new("color", "R&D \\ grey")]),
        new("4", "Gnome", null, "Garden & Patio > Decor", null, null, null),
        new("5", "Cable", "hardco", null, "shopa", [new("material", "copper")], 2));

    private static Catalog Build(params CatalogItem[] items)
    {
        var builder = new CatalogBuilder();
        foreach (var item in items)
            Assert.True(builder.TryAdd(item));
        return builder.Build();
    }

    // Evaluates what VectorSetLayout.FilterExpression emits ("token" in .f && ...) on stored attributes.
    private static bool Matches(string expression, string attributes)
    {
        var f = JsonDocument.Parse(attributes).RootElement.GetProperty("f").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        var terms = expression.Split(" && ");
        foreach (var term in terms)
        {
            var match = Regex.Match(term, "^\"((?:[^\"\\\\]|\\\\.)*)\" in \\.f$");
            Assert.True(match.Success, term);
            var token = Regex.Replace(match.Groups[1].Value, "\\\\(.)", "$1");
            if (!f.Contains(token))
                return false;
        }
        return true;
    }

    [Theory]
    [InlineData("category:Tools")]
    [InlineData("category:tools>hardware")]
    [InlineData("category:Tools > Hardware > Hinges")]
    [InlineData("category:Garden & Patio")]
    [InlineData("brand:hardco")]
    [InlineData("brand:Hard \"Co\" & Sons")]
    [InlineData("shop:SHOPA")]
    [InlineData("material:steel")]
    [InlineData("color:R&D \\ grey")]
    [InlineData("category:Tools", "material:brass")]
    public void The_garnet_filter_lets_through_exactly_the_items_the_in_process_filter_allows(params string[] clauses)
    {
        var filter = new ItemFilterParser(Shop).Parse(clauses)!;
        var expression = VectorSetLayout.FilterExpression(filter)!;
        var allowed = 0;
        for (var i = 0; i < Shop.Count; i++)
        {
            var attributes = VectorSetLayout.Attributes(Shop, i);
            Assert.Equal(filter.Allows(i), Matches(expression, attributes));
            allowed += filter.Allows(i) ? 1 : 0;
        }
        Assert.True(allowed > 0, "each case should match something");
    }

    [Fact]
    public void Attributes_keep_ampersands_and_non_ascii_unescaped_and_carry_the_price()
    {
        var attributes = VectorSetLayout.Attributes(Shop, 3);
        Assert.Contains("\"c=garden & patio > decor\"", attributes, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0026", attributes, StringComparison.Ordinal);
        Assert.Contains("\"price\":6", VectorSetLayout.Attributes(Shop, 0), StringComparison.Ordinal);
        Assert.DoesNotContain("price", attributes, StringComparison.Ordinal);
        Assert.Null(VectorSetLayout.FilterExpression(null));
    }

    [Fact]
    public void Items_spread_over_every_shard_and_keep_their_shard()
    {
        var counts = new int[6];
        for (var i = 0; i < 6000; i++)
            counts[VectorSetLayout.ShardOf($"item-{i}", 6)]++;
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
        Assert.Equal(VectorSetLayout.ShardOf("100001", 6), VectorSetLayout.ShardOf("100001", 6));
        Assert.Equal(3, VectorSetLayout.ShardOf("100001", 6)); // FNV-1a: a re-publish finds items where the last one put them
    }

    [Fact]
    public void The_fingerprint_changes_with_the_vector_or_the_attributes()
    {
        float[] v = [0.6f, 0.8f];
        var a = VectorSetLayout.Fingerprint(v, "{\"f\":[]}");
        Assert.Equal(a, VectorSetLayout.Fingerprint([0.6f, 0.8f], "{\"f\":[]}"));
        Assert.NotEqual(a, VectorSetLayout.Fingerprint([0.8f, 0.6f], "{\"f\":[]}"));
        Assert.NotEqual(a, VectorSetLayout.Fingerprint(v, "{\"f\":[\"b=x\"]}"));
    }

    [Theory]
    [InlineData("garnet://127.0.0.1:7100", 1)]
    [InlineData("garnet://a:1,b:2, c:3", 3)]
    [InlineData("redis://h:6379", 1)]
    public void Addresses_parse(string text, int endpoints) =>
        Assert.Equal(endpoints, GarnetTarget.Parse(text).Endpoints.Count);

    [Theory]
    [InlineData("http://h:1")]
    [InlineData("garnet://")]
    [InlineData("garnet://h")]
    [InlineData("garnet://h:0")]
    [InlineData("garnet://h:99999")]
    public void Bad_addresses_are_the_users_to_fix(string text) =>
        Assert.Throws<MmseInputException>(() => GarnetTarget.Parse(text));

    [Fact]
    public void A_manifest_round_trips_and_a_foreign_value_is_refused()
    {
        var manifest = new PublishManifest { ModelVersion = "m1", Dim = 64, Quantize = "q8", Shards = ["a", "b"], Count = 7, Complete = true };
        Assert.Equal(manifest.ToJson(), PublishManifest.FromJson(manifest.ToJson())!.ToJson());
        Assert.Null(PublishManifest.FromJson("not json"));
        Assert.Null(PublishManifest.FromJson("{\"format\":99,\"modelVersion\":\"m\",\"dim\":1,\"quantize\":\"q8\",\"shards\":[]}"));
    }
}
