using System.Globalization;
using Mmse.Text;

namespace Mmse.Synthesis;

/// <summary>
/// The request generator's first job: the intent a shopper has and the query text they type for it
/// (docs/synthetic-data.md, "The model, part by part"). The display, the behaviour and the output
/// lines are in RequestGenerator.cs.
/// </summary>
internal sealed partial class RequestGenerator
{
    private static readonly string[] s_pricePhrases = ["under ", "below $", "less than ", "under $"];

    private static readonly int[] s_priceSteps = [5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000];

    /// <summary>Model ids are the index of the model's first item (variants follow it).</summary>
    private int FirstOfModel(int type, int model) =>
        _world.Models[model] == model && _world.Types[model] == type ? model : throw new InvalidOperationException($"model {model} has no item of type {type}");

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
}
