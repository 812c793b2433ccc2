using System.Globalization;
using Mmse.Data;
using Mmse.Text;

namespace Mmse.Synthesis;

/// <summary>Read-only structures shared by every request block.</summary>
internal sealed class RequestModel
{
    public RequestModel(SynthWorld world)
    {
        World = world;
        var options = world.Options;
        var taxonomy = world.Taxonomy;
        // Type popularity: Zipf over a seeded permutation, so popular types are not the first in the lists.
        var random = new SynthRandom(options.Seed, 7, 0);
        var order = Enumerable.Range(0, taxonomy.Types.Count).ToArray();
        random.Shuffle(order.AsSpan());
        var weights = new double[order.Length];
        for (var rank = 0; rank < order.Length; rank++)
            weights[order[rank]] = world.ItemsByType[order[rank]].Length == 0 ? 0 : Math.Pow(rank + 1, -options.TypeZipf);
        TypeSampler = new WeightedSampler(weights);

        // Token -> types whose name forms contain it: the display engine's "lexically similar" types.
        var map = new Dictionary<int, List<int>>();
        var hashes = new List<int>();
        foreach (var type in taxonomy.Types)
        {
            hashes.Clear();
            var family = taxonomy.Families[type.Family];
            foreach (var f in family.Noun.Forms.Concat(family.Noun.Zh).Concat(type.Modifier.Forms).Concat(type.Modifier.Zh))
                LexicalTokenizer.Hashes(f, hashes);
            foreach (var h in hashes.Distinct())
            {
                if (!map.TryGetValue(h, out var list)) map[h] = list = [];
                if (world.ItemsByType[type.Index].Length > 0) list.Add(type.Index);
            }
        }
        TypesByToken = map.ToDictionary(p => p.Key, p => p.Value.ToArray());
        ComplementTypes = [.. taxonomy.Types.Select(t => taxonomy.Families[t.Family].Complements
            .SelectMany(f => taxonomy.Types.Where(x => x.Family == f && world.ItemsByType[x.Index].Length > 0).Select(x => x.Index)).ToArray())];
        BrandLower = [.. world.BrandList.Select(b => b.Name.ToLowerInvariant())];
        ItemsByTypeInOrder = [.. world.ItemsByType.Select(items => items.Order().ToArray())];
        DepartmentTypes = [.. taxonomy.Types.Select(t => world.TypesByDepartment[taxonomy.Families[t.Family].Department]
            .Where(x => world.ItemsByType[x].Length > 0).ToArray())];
        AmbiguousWords = AmbiguousNounWords(taxonomy, world);
        DepartmentWords = [.. taxonomy.Departments.Select(d => d.Name.Canonical.ToLowerInvariant()
            .Split('&', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];
        Users = options.Users ?? Math.Max(1, options.Requests / 8);
        UserNames = new string[Math.Min(Users, 1 << 20)];
        for (var u = 0; u < UserNames.Length; u++) UserNames[u] = "u" + (u + 1).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Words that name several product families: a word of a noun form of two or more families that
    /// is the head (last word) of at least one of them ("mouse": mouse, mouse pad; "cover": phone
    /// case, sofa cover, seat cover, cushion). Per type, the ambiguous words of its family's nouns
    /// (empty for most types); a shopper who wants the type may type just that word.
    /// </summary>
    public string[][] AmbiguousWords { get; }

    /// <summary>Per department, the words a shopper types for it ("computers", "office").</summary>
    public string[][] DepartmentWords { get; }

    public SynthWorld World { get; }
    public WeightedSampler TypeSampler { get; }
    public Dictionary<int, int[]> TypesByToken { get; }
    public int[][] ComplementTypes { get; }

    /// <summary>Brand names as shoppers type them.</summary>
    public string[] BrandLower { get; }

    /// <summary>Items of each type in catalog order (truth lines).</summary>
    public int[][] ItemsByTypeInOrder { get; }

    /// <summary>Per type, the non-empty types of its department (the engine's filler).</summary>
    public int[][] DepartmentTypes { get; }
    public int Users { get; }
    public string[] UserNames { get; }

    private static string[][] AmbiguousNounWords(Taxonomy taxonomy, SynthWorld world)
    {
        var families = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var heads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var family in taxonomy.Families)
        {
            foreach (var form in family.Noun.Forms)
            {
                var words = form.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                heads.Add(words[^1]);
                foreach (var w in words)
                {
                    if (!families.TryGetValue(w, out var set)) families[w] = set = [];
                    set.Add(family.Index);
                }
            }
        }
        var ambiguous = families.Where(p => p.Value.Count >= 2 && heads.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return [.. taxonomy.Types.Select(t => world.ItemsByType[t.Index].Length == 0 ? []
            : ambiguous.Where(p => p.Value.Contains(t.Family)).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray())];
    }

    public string UserName(int u) => u < UserNames.Length ? UserNames[u] : "u" + (u + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>In mixed mode each shopper searches in one language.</summary>
    public bool ChineseUser(int u) => World.Options.Language switch
    {
        SynthLanguage.Zh => true,
        SynthLanguage.En => false,
        _ => ((uint)(u * 2654435761u) >> 13 & 1) == 1,
    };
}
