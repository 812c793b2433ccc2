using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mmse.Data;
using Mmse.Text;

namespace Mmse.Synthesis;

/// <summary>Counts over the generated requests (per split) for the manifest.</summary>
public sealed class SynthCounts
{
    public long Requests { get; set; }
    public long Displayed { get; set; }
    public long Clicks { get; set; }
    public long Carts { get; set; }
    public long Orders { get; set; }
    public long RequestsWithOrder { get; set; }
    public long RequestsWithClick { get; set; }

    /// <summary>[4] displayed items per true grade 0..3.</summary>
    public long[] DisplayedByGrade { get; } = new long[4];

    /// <summary>[4] items with a click, cart or order per true grade 0..3.</summary>
    public long[] ActedByGrade { get; } = new long[4];

    internal void Add(SynthCounts other)
    {
        Requests += other.Requests;
        Displayed += other.Displayed;
        Clicks += other.Clicks;
        Carts += other.Carts;
        Orders += other.Orders;
        RequestsWithOrder += other.RequestsWithOrder;
        RequestsWithClick += other.RequestsWithClick;
        for (var g = 0; g < 4; g++)
        {
            DisplayedByGrade[g] += other.DisplayedByGrade[g];
            ActedByGrade[g] += other.ActedByGrade[g];
        }
    }
}

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

/// <summary>The outputs of one block of requests, appended to the files in block order.</summary>
internal sealed class RequestBlockOutput
{
    public JsonlBuffer[] Logs { get; } = [new(), new(), new()];
    public JsonlBuffer Truth { get; } = new();
    public JsonlBuffer Intents { get; } = new();
    public SynthCounts[] Counts { get; } = [new(), new(), new()];
    public SynthCounts Dropped { get; private set; } = new();
    public long TruthItems { get; set; }
    public long TruthExact { get; set; }

    public void Clear()
    {
        foreach (var l in Logs) l.Clear();
        Truth.Clear();
        Intents.Clear();
        for (var s = 0; s < 3; s++) Counts[s] = new SynthCounts();
        Dropped = new SynthCounts();
        TruthItems = TruthExact = 0;
    }
}

/// <summary>
/// Generates requests: an intent, its query text, the production engine's display and the
/// shopper's clicks, carts and orders; for test requests also the truth line. One instance
/// per thread; <see cref="Generate"/> fills a block from that block's own random stream.
/// </summary>
internal sealed class RequestGenerator(RequestModel model)
{
    public const int Train = 0, Valid = 1, Test = 2;

    public const long IdBase = 100_001;

    private static readonly string[] s_pricePhrases = ["under ", "below $", "less than ", "under $"];

    private static readonly int[] s_priceSteps = [5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000];

    private readonly RequestModel _model = model;
    private readonly SynthWorld _world = model.World;
    private readonly SynthOptions _options = model.World.Options;
    private readonly List<string> _words = [];
    private readonly List<int> _queryHashes = [];
    private readonly List<int> _pool = [];
    private readonly HashSet<int> _seen = [];
    private double[] _keys = new double[256];
    private int[] _items = new int[256];
    private readonly List<int> _similar = [];
    private readonly StringBuilder _text = new();
    private int[] _display = new int[256];
    private UserAction[] _actions = new UserAction[256];
    private readonly List<int> _truthItems = [];
    private readonly List<UserAction> _truthActions = [];
    private readonly ArrayBufferWriter<byte> _jsonBytes = new();
    private readonly double _testKeepRate = TestKeepRate(model.World.Options);
    private readonly double[] _clickByGrade = [.. model.World.Options.ClickByGrade];
    private readonly double[] _orderByGrade = [.. model.World.Options.OrderByGrade];
    private readonly double[] _cartByGrade = [.. model.World.Options.CartByGrade];
    private readonly double[] _examination = [.. Enumerable.Range(0, 256).Select(r => Math.Pow(1 + r, -model.World.Options.ExaminationDecay))];
    private Utf8JsonWriter? _json;

    /// <summary>The share of test-day requests kept so about <see cref="SynthOptions.MaxTestRequests"/> remain.</summary>
    internal static double TestKeepRate(SynthOptions options)
    {
        if (options.MaxTestRequests == 0) return 1;
        var expected = (double)options.Requests * options.TestDays / options.Days;
        return expected <= options.MaxTestRequests ? 1 : options.MaxTestRequests / expected;
    }

    public void Generate(int block, RequestBlockOutput output)
    {
        output.Clear();
        var random = new SynthRandom(_options.Seed, 8, (ulong)block);
        var start = (long)block * _options.BlockSize;
        var end = Math.Min(_options.Requests, start + _options.BlockSize);
        var startSeconds = _options.Start.ToUnixTimeSeconds();
        var span = (double)_options.Days * 86400;
        for (var r = start; r < end; r++)
        {
            var seconds = (long)((r + random.NextDouble()) * span / _options.Requests);
            var day = (int)(seconds / 86400);
            var split = day >= _options.Days - _options.TestDays ? Test
                : day >= _options.Days - _options.TestDays - _options.ValidDays ? Valid : Train;
            // Decided from (seed, request) alone, after the stream advanced, so sampling never shifts other requests.
            var keep = split != Test || _testKeepRate >= 1 || new SynthRandom(_options.Seed, 9, (ulong)r).NextDouble() < _testKeepRate;
            OneRequest(ref random, startSeconds + seconds, split, keep, output);
        }
    }

    private void OneRequest(ref SynthRandom random, long time, int split, bool keep, RequestBlockOutput output)
    {
        var user = random.Next(_model.Users);
        var chinese = _model.ChineseUser(user);
        var intent = MakeIntent(ref random, out var kind);
        var query = RenderQuery(ref random, intent, kind, chinese);
        var shown = Display(ref random, intent, query, kind);
        var counts = keep ? output.Counts[split] : output.Dropped;
        Behave(ref random, intent, shown, counts);
        if (!keep) return;
        var userName = _model.UserName(user);
        output.Logs[split].Request(query, userName, time, _display.AsSpan(0, shown), _actions.AsSpan(0, shown), IdBase);
        if (split == Test)
        {
            WriteTruth(intent, query, userName, time, output);
            WriteIntent(intent, kind, query, output.Intents);
        }
    }

    /// <summary>Model ids are the index of the model's first item (variants follow it).</summary>
    private int FirstOfModel(int type, int model) =>
        _world.Models[model] == model && _world.Types[model] == type ? model : throw new InvalidOperationException($"model {model} has no item of type {type}");

    private enum QueryKind { Normal, BrandOnly, Model, Ambiguous, Department }

    /// <summary>The query segment written to intents.jsonl (docs/synthetic-data.md, "Query segments").</summary>
    private static string Segment(QueryKind kind, in SynthIntent intent) => kind switch
    {
        QueryKind.Ambiguous => SynthSegments.BroadWord,
        QueryKind.Department => SynthSegments.BroadDepartment,
        QueryKind.BrandOnly => SynthSegments.BrandOnly,
        QueryKind.Model => SynthSegments.Model,
        _ => intent.Constraints > 0 ? SynthSegments.Specific : SynthSegments.Plain,
    };

    /// <summary>Draws for a type that has an ambiguous word before an ambiguous query falls back to a normal one.</summary>
    private const int AmbiguousDraws = 32;

    private SynthIntent MakeIntent(ref SynthRandom random, out QueryKind kind)
    {
        var type = _model.TypeSampler.Sample(ref random);
        var items = _world.ItemsByType[type];
        var sampler = _world.TypeSamplers[type];
        int Reference(ref SynthRandom random) => sampler.Sample(ref random);
        var u = random.NextDouble();
        if (u < _options.BrandOnlyQueryRate)
        {
            kind = QueryKind.BrandOnly;
            return SynthIntent.ForType(type) with { Brand = _world.Brands[Reference(ref random)] };
        }
        if (u < _options.BrandOnlyQueryRate + _options.ModelQueryRate)
        {
            kind = QueryKind.Model;
            return SynthIntent.ForType(type) with { Model = _world.Models[Reference(ref random)] };
        }
        // Broad queries: one intent (a type, no constraints), a query that names more than it.
        if (u < _options.BrandOnlyQueryRate + _options.ModelQueryRate + _options.AmbiguousQueryRate)
        {
            for (var draw = 0; draw < AmbiguousDraws && _model.AmbiguousWords[type].Length == 0; draw++)
                type = _model.TypeSampler.Sample(ref random);
            if (_model.AmbiguousWords[type].Length > 0)
            {
                kind = QueryKind.Ambiguous;
                return SynthIntent.ForType(type);
            }
            items = _world.ItemsByType[type];
            sampler = _world.TypeSamplers[type];
        }
        else if (u < _options.BrandOnlyQueryRate + _options.ModelQueryRate + _options.AmbiguousQueryRate + _options.DepartmentQueryRate)
        {
            kind = QueryKind.Department;
            return SynthIntent.ForType(type);
        }
        kind = QueryKind.Normal;
        var intent = SynthIntent.ForType(type);
        if (random.Chance(_options.IntentBrandRate))
            intent = intent with { Brand = _world.Brands[Reference(ref random)] };
        var a = random.NextDouble();
        var attributes = a < _options.IntentTwoAttributesRate ? 2 : a < _options.IntentTwoAttributesRate + _options.IntentOneAttributeRate ? 1 : 0;
        var kinds = _world.Taxonomy.Families[_world.Taxonomy.Types[type].Family].AttributeKinds;
        if (attributes > 0 && kinds.Count > 0)
        {
            // Values come from a real item of the type, so most intents can be met exactly.
            var reference = Reference(ref random);
            var k1 = kinds[random.Next(kinds.Count)];
            intent = intent with { Kind1 = k1, Value1 = _world.Attribute(reference, k1) };
            if (attributes > 1 && kinds.Count > 1)
            {
                var k2 = kinds[random.Next(kinds.Count)];
                if (k2 != k1) intent = intent with { Kind2 = k2, Value2 = _world.Attribute(reference, k2) };
            }
        }
        if (random.Chance(_options.IntentPriceRate))
        {
            var median = _world.Prices[items[items.Length / 2]];
            var target = median * (0.6 + 0.8 * random.NextDouble());
            var step = s_priceSteps.FirstOrDefault(s => s >= target, s_priceSteps[^1]);
            intent = intent with { MaxPrice = step };
        }
        return intent;
    }

    private static string Pick(IReadOnlyList<string> forms, double synonymRate, ref SynthRandom random) =>
        forms.Count > 1 && random.Chance(synonymRate) ? forms[1 + random.Next(forms.Count - 1)] : forms[0];

    private string RenderQuery(ref SynthRandom random, in SynthIntent intent, QueryKind kind, bool chinese)
    {
        var taxonomy = _world.Taxonomy;
        var type = taxonomy.Types[intent.Type];
        var family = taxonomy.Families[type.Family];
        _words.Clear();
        if (kind == QueryKind.BrandOnly)
        {
            var brand = _world.BrandList[intent.Brand];
            return chinese && random.Chance(0.5) ? brand.NameZh : _model.BrandLower[brand.Index];
        }
        if (kind == QueryKind.Model)
        {
            var item = FirstOfModel(intent.Type, intent.Model);
            var name = _world.ModelName(item);
            if (random.Chance(0.3)) name = name.Replace("-", "", StringComparison.Ordinal);
            if (random.Chance(0.5)) name = name.ToLowerInvariant();
            return random.Chance(0.4) ? $"{_world.BrandList[_world.Brands[item]].Name.ToLowerInvariant()} {name}" : name;
        }
        if (kind == QueryKind.Department || (kind == QueryKind.Ambiguous && chinese))
        {
            var department = taxonomy.Departments[family.Department];
            if (chinese) return department.Name.CanonicalZh;
            var words = _model.DepartmentWords[department.Index];
            return words[random.Next(words.Length)];
        }
        if (kind == QueryKind.Ambiguous)
        {
            var words = _model.AmbiguousWords[intent.Type];
            var word = words[random.Next(words.Length)];
            return random.Chance(_options.QueryPluralRate) ? SwitchPlural(word) : word;
        }
        var rate = _options.QuerySynonymRate;
        if (intent.Brand >= 0)
            _words.Add(chinese && random.Chance(0.5) ? _world.BrandList[intent.Brand].NameZh : _model.BrandLower[intent.Brand]);
        if (intent.Kind1 >= 0 && intent.Value1 >= 0) _words.Add(Value(intent.Kind1, intent.Value1, chinese, ref random));
        if (intent.Kind2 >= 0 && intent.Value2 >= 0) _words.Add(Value(intent.Kind2, intent.Value2, chinese, ref random));
        var dropModifier = random.Chance(_options.QueryDropModifierRate);
        string noun;
        if (chinese)
        {
            noun = (dropModifier ? "" : Pick(type.Modifier.Zh, rate, ref random)) + Pick(family.Noun.Zh, rate, ref random);
        }
        else
        {
            if (!dropModifier) _words.Add(Pick(type.Modifier.Forms, rate, ref random));
            noun = Pick(family.Noun.Forms, rate, ref random);
            if (random.Chance(_options.QueryPluralRate)) noun = SwitchPlural(noun);
        }
        _words.Add(noun);
        if (random.Chance(_options.QueryReorderRate))
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_words));
        if (!float.IsNaN(intent.MaxPrice))
        {
            var p = ((int)intent.MaxPrice).ToString(CultureInfo.InvariantCulture);
            _words.Add(chinese ? p + "元以下" : random.Pick(s_pricePhrases) + p);
        }
        if (random.Chance(_options.QueryTypoRate))
        {
            var candidates = 0;
            foreach (var word in _words)
            {
                if (Typeable(word, chinese)) candidates++;
            }
            if (candidates > 0)
            {
                var pick = random.Next(candidates);
                for (var w = 0; w < _words.Count; w++)
                {
                    if (Typeable(_words[w], chinese) && pick-- == 0)
                    {
                        _words[w] = Typo(_words[w], ref random);
                        break;
                    }
                }
            }
        }
        var separator = chinese && random.Chance(0.7) ? "" : " ";
        return string.Join(separator, _words);
    }

    private static bool Typeable(string word, bool chinese) => word.Length >= (chinese ? 2 : 4) && !char.IsDigit(word[0]);

    private string Value(int kind, int value, bool chinese, ref SynthRandom random)
    {
        var term = _world.Taxonomy.Attributes[kind].Values[value];
        return chinese ? Pick(term.Zh, _options.QuerySynonymRate, ref random) : Pick(term.Forms, _options.QuerySynonymRate, ref random);
    }

    internal static string SwitchPlural(string noun)
    {
        var lastSpace = noun.LastIndexOf(' ');
        var head = noun[..(lastSpace + 1)];
        var word = noun[(lastSpace + 1)..];
        if (word.EndsWith("ies", StringComparison.Ordinal)) return head + word[..^3] + "y";
        if (word.EndsWith("ches", StringComparison.Ordinal) || word.EndsWith("shes", StringComparison.Ordinal) || word.EndsWith("xes", StringComparison.Ordinal))
            return head + word[..^2];
        if (word.EndsWith("ss", StringComparison.Ordinal)) return head + word + "es";
        if (word.EndsWith('s')) return head + word[..^1];
        if (word.EndsWith('y') && word.Length > 1 && !"aeiou".Contains(word[^2], StringComparison.Ordinal)) return head + word[..^1] + "ies";
        if (word.EndsWith("ch", StringComparison.Ordinal) || word.EndsWith("sh", StringComparison.Ordinal) || word.EndsWith('x')) return head + word + "es";
        return head + word + "s";
    }

    /// <summary>One character edit: delete, swap neighbours, double, or replace with a keyboard-ish neighbour.</summary>
    internal static string Typo(string word, ref SynthRandom random)
    {
        var chars = word.ToCharArray();
        var i = 1 + random.Next(Math.Max(1, chars.Length - 1));
        i = Math.Min(i, chars.Length - 1);
        switch (random.Next(4))
        {
            case 0: return word.Remove(i, 1);
            case 1:
                (chars[i - 1], chars[i]) = (chars[i], chars[i - 1]);
                return new string(chars);
            case 2: return word.Insert(i, chars[i].ToString());
            default:
                if (LexicalTokenizer.IsCjk(chars[i])) return word.Remove(i, 1);
                const string Keys = "qwertyuiopasdfghjklzxcvbnm";
                var k = Keys.IndexOf(chars[i], StringComparison.Ordinal);
                chars[i] = k < 0 ? chars[i] : Keys[(k + 1 + random.Next(2)) % Keys.Length];
                return new string(chars);
        }
    }

    /// <summary>
    /// The production engine: a candidate pool from the wanted type (by popularity), types that
    /// share a query word, complements, the brand and the department, scored by a noisy lexical
    /// match plus popularity; the top 20–40 are shown in score order.
    /// </summary>
    private int Display(ref SynthRandom random, in SynthIntent intent, string query, QueryKind kind)
    {
        _pool.Clear();
        _seen.Clear();
        _queryHashes.Clear();
        LexicalTokenizer.Hashes(query, _queryHashes);
        _queryHashes.Sort();
        var distinct = 0;
        for (var k = 0; k < _queryHashes.Count; k++)
        {
            if (k == 0 || _queryHashes[k] != _queryHashes[k - 1]) _queryHashes[distinct++] = _queryHashes[k];
        }
        _queryHashes.RemoveRange(distinct, _queryHashes.Count - distinct);
        var count = random.Between(_options.DisplayMin, _options.DisplayMax);

        var samplers = _world.TypeSamplers;
        for (var k = 0; k < count; k++) Add(samplers[intent.Type].Sample(ref random));
        if (kind == QueryKind.Model)
        {
            // A model's items are its first item (whose index is the model id) and the variants right after it.
            for (var item = intent.Model; item < _world.Count && _world.Models[item] == intent.Model; item++) Add(item);
        }
        _similar.Clear();
        foreach (var h in _queryHashes)
        {
            if (_model.TypesByToken.TryGetValue(h, out var types))
                _similar.AddRange(types);
        }
        if (_similar.Count > 0)
        {
            for (var k = 0; k < count * 2 / 3; k++)
                Add(samplers[_similar[random.Next(_similar.Count)]].Sample(ref random));
        }
        var complements = _model.ComplementTypes[intent.Type];
        if (complements.Length > 0)
        {
            for (var k = 0; k < count / 5; k++)
                Add(samplers[complements[random.Next(complements.Length)]].Sample(ref random));
        }
        if (intent.Brand >= 0)
        {
            var brandSampler = _world.BrandSamplers[intent.Brand];
            for (var k = 0; k < count / 3; k++) Add(brandSampler.Sample(ref random));
        }
        var department = _model.DepartmentTypes[intent.Type];
        for (var k = 0; k < count / 5 || (_pool.Count < count && k < count * 8); k++)
            Add(samplers[department[random.Next(department.Length)]].Sample(ref random));

        if (_keys.Length < _pool.Count)
        {
            _keys = new double[_pool.Count * 2];
            _items = new int[_pool.Count * 2];
        }
        var facts = _world.Facts;
        var tokens = _world.TokenData;
        var queryTokens = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_queryHashes);
        for (var p = 0; p < _pool.Count; p++)
        {
            var item = _pool[p];
            ref readonly var f = ref facts[item];
            var itemTokens = tokens.AsSpan(f.TokenStart, f.TokenCount);
            var matched = 0;
            foreach (var h in queryTokens)
            {
                if (itemTokens.BinarySearch(h) >= 0) matched++;
            }
            var lexical = queryTokens.Length == 0 ? 0 : (double)matched / queryTokens.Length;
            var score = _options.DisplayLexicalWeight * lexical
                + _options.DisplayPopularityWeight * f.LogPopularity
                + _options.DisplayNoise * random.Logistic();
            // Negated so an ascending sort puts the best first.
            _keys[p] = -score;
            _items[p] = item;
        }
        Array.Sort(_keys, _items, 0, _pool.Count);
        var shown = Math.Min(count, _pool.Count);
        if (_display.Length < shown)
        {
            _display = new int[shown];
            _actions = new UserAction[shown];
        }
        _items.AsSpan(0, shown).CopyTo(_display);
        return shown;
    }

    private void Add(int item)
    {
        if (_seen.Add(item)) _pool.Add(item);
    }

    /// <summary>
    /// Position-based clicks: an item at rank r is examined with probability (1 + r)^-decay and
    /// clicked with a probability rising with its true grade times attractiveness noise; a click
    /// turns into an order (mostly grade 3, when the price fits the budget) or a cart.
    /// </summary>
    private void Behave(ref SynthRandom random, in SynthIntent intent, int shown, SynthCounts counts)
    {
        var type = _world.Taxonomy.Types[intent.Type];
        var median = _world.Taxonomy.Families[type.Family].MedianPrice * type.PriceFactor;
        var budget = median * Math.Exp(_options.BudgetSigma * random.Normal());
        if (!float.IsNaN(intent.MaxPrice)) budget = Math.Min(budget, intent.MaxPrice);
        var sigma = _options.AttractivenessNoise;
        bool clicked = false, ordered = false, stopped = false;
        for (var r = 0; r < shown; r++)
        {
            var item = _display[r];
            ref readonly var facts = ref _world.Facts[item];
            var grade = SynthGrades.Grade(_world, intent, facts);
            counts.DisplayedByGrade[grade]++;
            var action = UserAction.None;
            if (!stopped && random.Chance(_examination[r]))
            {
                var attractive = _clickByGrade[grade] * Math.Exp(sigma * random.Normal() - sigma * sigma / 2 + 0.2 * facts.Quality);
                if (random.Chance(Math.Min(0.95, attractive)))
                {
                    action = UserAction.Click;
                    var fit = Math.Exp(-1.5 * Math.Max(0, Math.Log(facts.Price / budget)));
                    if (random.Chance(_orderByGrade[grade] * fit))
                    {
                        action = UserAction.Order;
                        if (random.Chance(_options.StopAfterOrder)) stopped = true;
                    }
                    else if (random.Chance(_cartByGrade[grade] * fit))
                    {
                        action = UserAction.Cart;
                    }
                }
            }
            _actions[r] = action;
            switch (action)
            {
                case UserAction.Click: counts.Clicks++; clicked = true; break;
                case UserAction.Cart: counts.Carts++; clicked = true; break;
                case UserAction.Order: counts.Orders++; ordered = true; break;
            }
            if (action != UserAction.None) counts.ActedByGrade[grade]++;
        }
        counts.Requests++;
        counts.Displayed += shown;
        if (ordered) counts.RequestsWithOrder++;
        if (clicked || ordered) counts.RequestsWithClick++;
    }

    /// <summary>Every item of the wanted type (found through the type index): grade 3 as order, grade 2 as click.</summary>
    private void WriteTruth(in SynthIntent intent, string query, string user, long time, RequestBlockOutput output)
    {
        _truthItems.Clear();
        _truthActions.Clear();
        // Catalog order, so truth lines are easy to read and compare.
        foreach (var item in _model.ItemsByTypeInOrder[intent.Type])
        {
            var exact = SynthGrades.Satisfies(intent, _world.Facts[item]);
            _truthItems.Add(item);
            _truthActions.Add(exact ? UserAction.Order : UserAction.Click);
            if (exact) output.TruthExact++;
        }
        output.TruthItems += _truthItems.Count;
        output.Truth.Request(query, user, time, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_truthItems),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_truthActions), IdBase);
    }

    /// <summary>The latent intent of a test request, so a user (or a test) can check any grade.</summary>
    private void WriteIntent(in SynthIntent intent, QueryKind kind, string query, JsonlBuffer buffer)
    {
        var taxonomy = _world.Taxonomy;
        _json ??= new Utf8JsonWriter(_jsonBytes, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        _json.Reset(_jsonBytes);
        _json.WriteStartObject();
        _json.WriteString("query", query);
        _json.WriteString("segment", Segment(kind, intent));
        _json.WriteString("type", taxonomy.Types[intent.Type].Name);
        if (intent.Brand >= 0) _json.WriteString("brand", _world.BrandList[intent.Brand].Name);
        if (intent.Kind1 >= 0 || intent.Kind2 >= 0)
        {
            _json.WriteStartObject("attributes");
            if (intent.Kind1 >= 0) _json.WriteString(taxonomy.Attributes[intent.Kind1].Key, taxonomy.Attributes[intent.Kind1].Values[intent.Value1].Canonical);
            if (intent.Kind2 >= 0) _json.WriteString(taxonomy.Attributes[intent.Kind2].Key, taxonomy.Attributes[intent.Kind2].Values[intent.Value2].Canonical);
            _json.WriteEndObject();
        }
        if (!float.IsNaN(intent.MaxPrice)) _json.WriteNumber("max_price", intent.MaxPrice);
        if (intent.Model >= 0)
        {
            var item = FirstOfModel(intent.Type, intent.Model);
            _json.WriteString("model", _world.ModelName(item));
        }
        _json.WriteEndObject();
        _json.Flush();
        buffer.Append(_jsonBytes);
        buffer.Raw("\n"u8);
    }
}
