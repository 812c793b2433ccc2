using System.Globalization;

namespace Mmse.Synthesis;

/// <summary>A word with its synonyms: <c>Forms[0]</c> is canonical; abbreviations are for titles only.</summary>
public sealed record Term(IReadOnlyList<string> Forms, IReadOnlyList<string> Abbreviations, IReadOnlyList<string> Zh)
{
    public string Canonical => Forms[0];

    public string CanonicalZh => Zh[0];

    internal static Term Parse(string text)
    {
        var (en, zh) = Split2(text, '|');
        var forms = new List<string>();
        var abbreviations = new List<string>();
        foreach (var f in en.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (f.StartsWith('~')) abbreviations.Add(f[1..]);
            else forms.Add(f);
        }
        var zhForms = zh.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (forms.Count == 0 || zhForms.Length == 0)
            throw new InvalidOperationException($"taxonomy term '{text}' needs an English and a Chinese form");
        return new Term(forms, abbreviations, zhForms);
    }

    internal static (string, string) Split2(string text, char separator)
    {
        var i = text.IndexOf(separator, StringComparison.Ordinal);
        return i < 0 ? (text.Trim(), "") : (text[..i].Trim(), text[(i + 1)..].Trim());
    }
}

/// <summary>An attribute kind (colour, material, size...) and its values.</summary>
public sealed record AttributeKind(int Index, string Key, IReadOnlyList<Term> Values);

/// <summary>A department of the marketplace.</summary>
public sealed record Department(int Index, Term Name);

/// <summary>A family of products sharing a noun ("sneakers"), attributes, a median price and complements.</summary>
public sealed record ProductFamily(int Index, int Department, Term Noun, IReadOnlyList<int> AttributeKinds, double MedianPrice)
{
    /// <summary>Families whose products complement this one's (phone: phone case, charger).</summary>
    public IReadOnlyList<int> Complements { get; internal set; } = [];
}

/// <summary>A leaf product type: a modifier with its family's noun ("running sneakers").</summary>
public sealed record ProductType(int Index, int Family, Term Modifier, string Name, string NameZh, double PriceFactor);

/// <summary>
/// The product taxonomy built from <see cref="TaxonomyData"/>: departments, families,
/// leaf types (modifier × family noun), attribute kinds with value synonyms, and
/// family-level complement relations.
/// </summary>
public sealed class Taxonomy
{
    private Taxonomy(List<Department> departments, List<ProductFamily> families, List<ProductType> types, List<AttributeKind> attributes)
    {
        Departments = departments;
        Families = families;
        Types = types;
        Attributes = attributes;
        var complement = new bool[families.Count * families.Count];
        foreach (var f in families)
        {
            foreach (var c in f.Complements)
                complement[f.Index * families.Count + c] = true;
        }
        _complement = complement;
    }

    private readonly bool[] _complement;

    public IReadOnlyList<Department> Departments { get; }

    public IReadOnlyList<ProductFamily> Families { get; }

    public IReadOnlyList<ProductType> Types { get; }

    public IReadOnlyList<AttributeKind> Attributes { get; }

    /// <summary>True when items of type <paramref name="candidate"/> complement a shopper looking for <paramref name="wanted"/> (grade 1).</summary>
    public bool IsComplement(int wanted, int candidate) =>
        _complement[Types[wanted].Family * Families.Count + Types[candidate].Family];

    /// <summary>The built-in taxonomy; price factors of types come from <paramref name="seed"/>.</summary>
    public static Taxonomy Build(ulong seed)
    {
        var random = new SynthRandom(seed, 1, 0);
        var attributes = new List<AttributeKind>();
        foreach (var (key, values) in TaxonomyData.Attributes)
            attributes.Add(new AttributeKind(attributes.Count, key, [.. values.Select(Term.Parse)]));
        var departments = new List<Department>();
        var families = new List<ProductFamily>();
        var types = new List<ProductType>();
        var complementNames = new List<string[]>();
        foreach (var (name, lines) in TaxonomyData.Departments)
        {
            var department = new Department(departments.Count, Term.Parse(name));
            departments.Add(department);
            foreach (var line in lines)
            {
                var parts = line.Split(" # ");
                if (parts.Length < 4)
                    throw new InvalidOperationException($"taxonomy family '{line}' needs nouns, modifiers, attributes and price");
                var noun = Term.Parse(parts[0]);
                var kinds = parts[2].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(k => attributes.FindIndex(a => a.Key == k) is var i and >= 0 ? i : throw new InvalidOperationException($"unknown attribute '{k}'"))
                    .ToArray();
                var family = new ProductFamily(families.Count, department.Index, noun, kinds, double.Parse(parts[3], CultureInfo.InvariantCulture));
                families.Add(family);
                complementNames.Add(parts.Length > 4 ? parts[4].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : []);
                foreach (var m in parts[1].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var modifier = Term.Parse(m);
                    var factor = Math.Exp(0.3 * random.Normal());
                    types.Add(new ProductType(types.Count, family.Index, modifier,
                        $"{modifier.Canonical} {noun.Canonical}", modifier.CanonicalZh + noun.CanonicalZh, factor));
                }
            }
        }
        for (var f = 0; f < families.Count; f++)
        {
            families[f].Complements = [.. complementNames[f].Select(n =>
                families.FindIndex(x => x.Noun.Canonical == n) is var i and >= 0 ? i : throw new InvalidOperationException($"unknown complement family '{n}'"))];
        }
        return new Taxonomy(departments, families, types, attributes);
    }
}
