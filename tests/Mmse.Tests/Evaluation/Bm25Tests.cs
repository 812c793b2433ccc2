using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Synthesis;
using Mmse.Text;

namespace Mmse.Tests.Evaluation;

public class Bm25Tests
{
    private static Catalog Build(params (string Title, string? Brand, string? Category)[] items)
    {
        var builder = new CatalogBuilder();
        for (var i = 0; i < items.Length; i++)
            builder.TryAdd(new CatalogItem($"{i}", items[i].Title, items[i].Brand, items[i].Category));
        return builder.Build();
    }

    [Fact]
    public void Scores_match_hand_computed_values()
    {
        // N = 3, avgdl = 8/3; "red" and "shoe" each have df = 2, so idf = ln(1 + 1.5 / 2.5) = ln 1.6.
        var catalog = Build(("Red shoe", null, null), ("red RED hat", null, null), ("blue shoe box", null, null));
        var bm25 = Bm25.Build(catalog, new Bm25Options { Fields = [Bm25Field.Title], FieldWeights = [1.0] });
        var hits = bm25.Search("red shoe", 10);
        Assert.Equal([0, 1, 2], hits.Select(h => h.Item));
        // item 0: dl 2, norm 1.2 * (0.25 + 0.75 * 0.75) = 0.975; 2 terms * ln1.6 * 2.2 / 1.975
        Assert.Equal(2 * Math.Log(1.6) * 2.2 / 1.975, hits[0].Score, 5);
        // item 1: dl 3, norm 1.3125; red tf 2: ln1.6 * 2 * 2.2 / 3.3125
        Assert.Equal(Math.Log(1.6) * 4.4 / 3.3125, hits[1].Score, 5);
        // item 2: shoe tf 1: ln1.6 * 2.2 / 2.3125
        Assert.Equal(Math.Log(1.6) * 2.2 / 2.3125, hits[2].Score, 5);
    }

    [Fact]
    public void English_analysis_stems_drops_stop_words_and_scores_as_by_hand()
    {
        // Analysed titles: [drill drill bit], [hammer drill], [hammer nail], [saw drill bit], [nail gun]:
        // N = 5, avgdl = 12 / 5 = 2.4; "drilling hammers" -> [drill hammer]; df(drill) = 3, df(hammer) = 2.
        var catalog = Build(("Drills and drilling bits", null, null), ("The hammer drill", null, null), ("Hammers for nails", null, null),
            ("Saw with drill bits", null, null), ("Nail gun", null, null));
        var options = new Bm25Options { Fields = [Bm25Field.Title], FieldWeights = [1.0], Analysis = TextAnalysis.English };
        Assert.Equal(["hammer", "drill"], Bm25.Tokenize("The hammer drill", TextAnalysis.English));
        Assert.Equal(["the", "hammer", "drill"], Bm25.Tokenize("The hammer drill", TextAnalysis.Plain));
        var bm25 = Bm25.Build(catalog, options);
        var hits = bm25.Search("drilling hammers", 10);
        double idfDrill = Math.Log(1 + 2.5 / 3.5), idfHammer = Math.Log(1 + 3.5 / 2.5);
        double norm2 = 1.2 * (0.25 + 0.75 * 2 / 2.4), norm3 = 1.2 * (0.25 + 0.75 * 3 / 2.4);
        var expected = new[]
        {
            idfDrill * 2 * 2.2 / (2 + norm3),
            idfDrill * 2.2 / (1 + norm2) + idfHammer * 2.2 / (1 + norm2),
            idfHammer * 2.2 / (1 + norm2),
            idfDrill * 2.2 / (1 + norm3),
        };
        Assert.Equal([1, 2, 0, 3], hits.Select(h => h.Item));
        foreach (var (item, score) in hits)
            Assert.Equal(expected[item], score, 5);
        var reference = Bm25.ScoreAllReference(catalog, "drilling hammers", options);
        for (var i = 0; i < 4; i++)
            Assert.Equal(expected[i], reference[i], 9);
        Assert.Equal(0, reference[4]);
        // Plain analysis does not match "drilling" to "drills" or "hammers" to "hammer".
        Assert.DoesNotContain(Bm25.Build(catalog, options with { Analysis = TextAnalysis.Plain }).Search("drilling hammers", 10), h => h.Item is 1 or 3);
    }

    [Fact]
    public void English_analysis_keeps_chinese_bigrams()
    {
        var catalog = Build(("蓝牙耳机 wireless headphones", null, null), ("无线鼠标", null, null), ("headphone stand", null, null));
        var options = new Bm25Options { Fields = [Bm25Field.Title], FieldWeights = [1.0], Analysis = TextAnalysis.English };
        Assert.Equal(["wireless", "headphon", "蓝牙", "牙耳", "耳机"], Bm25.Tokenize("蓝牙耳机 wireless headphones", TextAnalysis.English));
        var bm25 = Bm25.Build(catalog, options);
        Assert.Equal([0], bm25.Search("耳机", 10).Select(h => h.Item));
        Assert.Equal([0, 2], bm25.Search("headphones", 10).Select(h => h.Item).Order());
    }

    [Fact]
    public void Field_weights_add_up_per_field()
    {
        var catalog = Build(("phone", "Acme", "Electronics > Phones"), ("case", "Acme", "Electronics > Cases"), ("apple", "Orchard", "Grocery > Fruit"));
        var options = new Bm25Options();
        var bm25 = Bm25.Build(catalog, options);
        var hits = bm25.Search("acme phone", 3);
        var reference = Bm25.ScoreAllReference(catalog, "acme phone", options);
        Assert.Equal(2, hits.Length);
        Assert.Equal(0, hits[0].Item);
        Assert.Equal(reference[0], hits[0].Score, 5);
        Assert.Equal(reference[1], hits[1].Score, 5);
        Assert.Equal(0, reference[2]);
    }

    [Fact]
    public void Top_k_agrees_with_the_reference_on_a_generated_catalog()
    {
        var world = SynthWorld.Create(new SynthOptions { Items = 3000, Requests = 10, Seed = 3, Threads = 1 });
        var builder = new CatalogBuilder();
        for (var i = 0; i < world.Count; i++) builder.TryAdd(SyntheticMarketplace.Item(world, i));
        var catalog = builder.Build();
        var bm25 = Bm25.Build(catalog);
        string[] queries = ["black running sneakers", "couch", "kalo", "wireless mouse 2 pack", "nothing-matches-this", "phone case", ""];
        var batch = bm25.SearchBatch(queries, 50);
        foreach (var (query, q) in queries.Select((x, i) => (x, i)))
        {
            var reference = Bm25.ScoreAllReference(catalog, query);
            var expected = Enumerable.Range(0, catalog.Count).Where(i => reference[i] > 0)
                .OrderByDescending(i => reference[i]).ThenBy(i => i).Take(50).ToArray();
            var hits = bm25.Search(query, 50);
            Assert.Equal(expected.Length, hits.Length);
            for (var k = 0; k < hits.Length; k++)
            {
                // Same scores (float vs double); near-ties may swap, so compare scores by rank.
                Assert.Equal(reference[expected[k]], hits[k].Score, 1e-4 * Math.Max(1, reference[expected[k]]));
                Assert.True(k == 0 || hits[k - 1].Score >= hits[k].Score);
            }
            Assert.Equal(hits, batch[q]);
        }
    }

    [Fact]
    public void K_zero_and_unknown_words_give_nothing()
    {
        var catalog = Build(("red shoe", null, null));
        var bm25 = Bm25.Build(catalog);
        Assert.Empty(bm25.Search("red", 0));
        Assert.Empty(bm25.Search("zebra", 10));
        Assert.Single(bm25.Search("red", 10));
    }

    [Fact]
    public void Chinese_queries_match_through_character_bigrams()
    {
        Assert.Equal(["黑色", "色跑", "跑步", "步鞋"], LexicalTokenizer.Tokenize("黑色跑步鞋"));
        Assert.Equal(["5g", "手机", "iphone", "壳"], LexicalTokenizer.Tokenize("5G手机 iPhone 壳"));
        var catalog = Build(("凯莫 跑步鞋 男款 黑色", null, "鞋靴 > 运动鞋"), ("凯莫 登山靴 黑色", null, null), ("白色T恤", null, null));
        var hits = Bm25.Build(catalog).Search("黑色跑步鞋", 10);
        Assert.Equal([0, 1], hits.Select(h => h.Item));
    }
}
