using System.Buffers;
using System.Text;
using System.Text.Json;
using Mmse.Data;
using Mmse.Text;

namespace Mmse.Synthesis;

/// <summary>
/// Generates requests: an intent, its query text, the production engine's display and the
/// shopper's clicks, carts and orders; for test requests also the truth line. One instance
/// per thread; <see cref="Generate"/> fills a block from that block's own random stream.
/// The intent and the query text are in RequestGenerator.Query.cs.
/// </summary>
internal sealed partial class RequestGenerator(RequestModel model)
{
    public const int Train = 0, Valid = 1, Test = 2;

    public const long IdBase = 100_001;

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
