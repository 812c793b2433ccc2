using System.Text;

namespace Mmse.Synthesis;

/// <summary>
/// Renders item titles the way different shops write them. Style 0 puts the brand first
/// ("Kalo Running Sneakers Black Mens KAL-1234A"), style 1 is keyword-stuffed marketing
/// ("Hot Sale Mens Black Running Trainers Sneakers - Kalo KAL-1234A Free Shipping"),
/// style 2 is terse with abbreviations ("KALO KAL-1234A Sneakers BLK Lg"), style 3 is
/// descriptive ("Running Sneakers by Kalo, Black, Large"). Chinese shops have matching
/// styles without spaces inside phrases. Every style may use a synonym of the noun, drop
/// the modifier, shuffle attribute order and skip attributes, so titles of one product
/// type share fewer words than their type name suggests.
/// </summary>
internal sealed class TitleRenderer(SynthWorld world)
{
    private readonly SynthWorld _world = world;
    private readonly StringBuilder _text = new();
    private readonly List<string> _attributes = [];

    public string Title(int item, Shop shop, ref SynthRandom random)
    {
        var options = _world.Options;
        var taxonomy = _world.Taxonomy;
        var type = taxonomy.Types[_world.Types[item]];
        var family = taxonomy.Families[type.Family];
        var brand = _world.BrandList[_world.Brands[item]];
        var model = _world.ModelName(item);
        var style = shop.Style;
        var zh = shop.Chinese;

        string noun, modifier;
        if (zh)
        {
            noun = random.Chance(options.TitleSynonymRate) ? random.Pick(family.Noun.Zh) : family.Noun.CanonicalZh;
            modifier = random.Chance(options.TitleDropModifierRate) ? "" : type.Modifier.CanonicalZh;
        }
        else
        {
            noun = random.Chance(options.TitleSynonymRate) ? random.Pick(family.Noun.Forms) : family.Noun.Canonical;
            modifier = random.Chance(options.TitleDropModifierRate) ? "" : PickForm(type.Modifier, ref random);
        }

        _attributes.Clear();
        foreach (var kind in family.AttributeKinds)
        {
            var v = _world.Attribute(item, kind);
            if (v < 0 || !random.Chance(options.TitleAttributeRate)) continue;
            var term = taxonomy.Attributes[kind].Values[v];
            if (zh) _attributes.Add(random.Pick(term.Zh));
            else if (style == 2 && term.Abbreviations.Count > 0 && random.Chance(0.7)) _attributes.Add(random.Pick(term.Abbreviations));
            else _attributes.Add(PickForm(term, ref random));
        }
        var attributes = _attributes.ToArray();
        random.Shuffle(attributes.AsSpan());

        _text.Clear();
        if (zh)
        {
            var brandName = random.Chance(0.5) ? brand.NameZh : brand.Name;
            var product = modifier + noun;
            switch (style)
            {
                case 0:
                    Join(brandName, string.Concat(attributes) + product, random.Chance(0.6) ? model : "");
                    break;
                case 1:
                    Join(random.Pick(TaxonomyData.NoiseZh) + brandName, product + string.Concat(attributes),
                        random.Chance(0.5) ? family.Noun.Zh[^1] : "", random.Pick(TaxonomyData.NoiseZh));
                    break;
                case 2:
                    Join(brand.Name, model, product, string.Join(' ', attributes));
                    break;
                default:
                    Join(brandName + product, string.Join(' ', attributes), random.Chance(0.3) ? random.Pick(TaxonomyData.NoiseZh) : "");
                    break;
            }
            return _text.ToString();
        }

        var productEn = modifier.Length > 0 ? $"{modifier} {noun}" : noun;
        switch (style)
        {
            case 0:
                Join(brand.Name, SynthWorld.Capitalize(productEn), SynthWorld.Capitalize(string.Join(' ', attributes)), random.Chance(0.6) ? model : "");
                break;
            case 1:
                // Keyword stuffing: another name of the product, as sellers add for search engines.
                var other = family.Noun.Forms[random.Next(family.Noun.Forms.Count)];
                var stuffing = random.Chance(0.5) && other != noun ? SynthWorld.Capitalize(other) : "";
                Join(random.Pick(TaxonomyData.NoiseEn), SynthWorld.Capitalize(string.Join(' ', attributes)), SynthWorld.Capitalize(productEn), stuffing,
                    "-", brand.Name, random.Chance(0.5) ? model : "", random.Pick(TaxonomyData.NoiseEn));
                break;
            case 2:
                Join(brand.Name.ToUpperInvariant(), model, SynthWorld.Capitalize(productEn), string.Join(' ', attributes.Select(a => a.ToUpperInvariant())));
                break;
            default:
                Join(SynthWorld.Capitalize(productEn), "by", brand.Name + (attributes.Length > 0 ? "," : ""),
                    string.Join(", ", attributes.Select(SynthWorld.Capitalize)));
                break;
        }
        return _text.ToString();
    }

    private static string PickForm(Term term, ref SynthRandom random) =>
        term.Forms.Count == 1 || random.Chance(0.6) ? term.Canonical : random.Pick(term.Forms);

    private void Join(params ReadOnlySpan<string> parts)
    {
        foreach (var part in parts)
        {
            if (part.Length == 0) continue;
            if (_text.Length > 0) _text.Append(' ');
            _text.Append(part);
        }
    }
}
