using Mmse.Data;
using Mmse.Numerics;

namespace Mmse.Tests.Fixtures;

/// <summary>
/// A small seeded marketplace with real structure: product types with synonyms that never appear
/// in titles (so learning beats word overlap), brands and colours, and clicks and orders that
/// follow the query's type and colour. Used until the synthetic marketplace (mmse synth) lands.
/// </summary>
public sealed class MarketFixture
{
    private static readonly (string Word, string Category, string[] Synonyms)[] s_types =
    [
        ("sofa", "Furniture > Living", ["couch", "settee"]),
        ("laptop", "Electronics > Computers", ["notebook computer", "ultrabook"]),
        ("sneakers", "Fashion > Shoes", ["trainers", "running shoes"]),
        ("kettle", "Home > Kitchen", ["water boiler", "tea boiler"]),
        ("headphones", "Electronics > Audio", ["earphones", "headset"]),
        ("backpack", "Fashion > Bags", ["rucksack", "daypack"]),
        ("drill", "Tools > Power", ["driver tool", "borer"]),
        ("blender", "Home > Kitchen", ["smoothie maker", "mixer"]),
        ("jacket", "Fashion > Outerwear", ["coat", "parka"]),
        ("lamp", "Home > Lighting", ["light", "lantern"]),
        ("phone", "Electronics > Mobile", ["smartphone", "mobile"]),
        ("tent", "Outdoor > Camping", ["shelter", "camping dome"]),
        ("手机壳", "Electronics > Mobile", ["保护套"]),
        ("茶壶", "Home > Kitchen", ["茶具"]),
    ];

    private static readonly string[] s_brands = ["acme", "nordik", "zento", "kiro", "vela", "orbis", "lumo", "taro"];
    private static readonly string[] s_colors = ["black", "white", "red", "blue", "green", "grey"];
    private static readonly string[] s_adjectives = ["classic", "pro", "compact", "deluxe", "basic", "premium", "lite", "max"];

    public MarketFixture(int items = 400, int trainRequests = 1200, int testRequests = 200, ulong seed = 42, int displayed = 20)
    {
        var rng = new Rng(seed);
        var builder = new CatalogBuilder();
        var typeOf = new int[items];
        var colorOf = new int[items];
        for (var i = 0; i < items; i++)
        {
            var t = i % s_types.Length;
            var c = rng.Next(s_colors.Length);
            var brand = s_brands[rng.Next(s_brands.Length)];
            typeOf[i] = t;
            colorOf[i] = c;
            var title = $"{brand} {s_colors[c]} {s_adjectives[rng.Next(s_adjectives.Length)]} {s_types[t].Word} {rng.Next(100)}";
            builder.TryAdd(new CatalogItem($"p{i:D5}", title, brand, s_types[t].Category));
        }
        Catalog = builder.Build();
        TypeOf = typeOf;
        Train = Log(rng, trainRequests, displayed, typeOf, colorOf);
        Test = Log(rng, testRequests, displayed, typeOf, colorOf);
    }

    public Catalog Catalog { get; }

    public SearchLog Train { get; }

    public SearchLog Test { get; }

    public int[] TypeOf { get; }

    private SearchLog Log(Rng rng, int requests, int displayed, int[] typeOf, int[] colorOf)
    {
        var log = new SearchLogBuilder();
        var items = new List<int>();
        var actions = new List<UserAction>();
        var n = typeOf.Length;
        for (var r = 0; r < requests; r++)
        {
            var t = rng.Next(s_types.Length);
            var color = rng.Next(3) == 0 ? rng.Next(s_colors.Length) : -1;
            var type = s_types[t];
            // Most queries use a synonym the titles never contain.
            var word = rng.Next(3) == 0 ? type.Word : type.Synonyms[rng.Next(type.Synonyms.Length)];
            var query = color >= 0 ? $"{s_colors[color]} {word}" : word;
            items.Clear();
            actions.Clear();
            var seen = new HashSet<int>();
            displayed = Math.Min(displayed, n);
            var attempts = 0;
            while (items.Count < displayed)
            {
                attempts++;
                // Half of the display matches the type (as a lexical engine would show), half is noise.
                int item;
                if (items.Count % 2 == 0 && attempts < 20 * displayed)
                {
                    item = t + s_types.Length * rng.Next(Math.Max(1, (n - t + s_types.Length - 1) / s_types.Length));
                    if (item >= n) item = t;
                }
                else
                {
                    item = rng.Next(n);
                }
                if (!seen.Add(item)) continue;
                var match = typeOf[item] == t;
                var colorMatch = color < 0 || colorOf[item] == color;
                var p = match ? (colorMatch ? 0.5 : 0.1) : 0.01;
                var action = UserAction.None;
                if (rng.NextDouble() < p)
                {
                    action = UserAction.Click;
                    var u = rng.NextDouble();
                    if (match && colorMatch && u < 0.4) action = UserAction.Order;
                    else if (match && u < 0.55) action = UserAction.Cart;
                }
                items.Add(item);
                actions.Add(action);
            }
            log.Add(query, $"u{r % 50}", SearchLog.NoTime, items.ToArray(), actions.ToArray());
        }
        return log.Build();
    }

    /// <summary>Writes the catalog and both logs as JSONL into <paramref name="dir"/>.</summary>
    public (string Catalog, string Train, string Test) WriteJsonl(string dir)
    {
        var catalogPath = Path.Combine(dir, "catalog.jsonl");
        using (var w = new CatalogJsonlWriter(catalogPath))
        {
            for (var i = 0; i < Catalog.Count; i++)
                w.Write(Catalog.Get(i));
            w.Commit();
        }
        string WriteLog(SearchLog log, string name)
        {
            var path = Path.Combine(dir, name);
            using var w = new SearchLogJsonlWriter(path);
            for (var r = 0; r < log.Count; r++)
                w.Write(log, Catalog, r);
            w.Commit();
            return path;
        }
        return (catalogPath, WriteLog(Train, "train.jsonl"), WriteLog(Test, "test.jsonl"));
    }
}
