using Mmse.Data;
using Mmse.Internals;

namespace Mmse.Retrieval;

/// <summary>
/// Which items a search may return: every clause must hold (AND). Clauses are written
/// <c>field:value</c>: <c>category:Tools &gt; Hardware</c> matches that category and everything
/// under it (whole path segments, case-insensitive), <c>brand:X</c> and <c>shop:X</c> match
/// exactly (case-insensitive), and any attribute key present in the catalog matches its value
/// exactly (case-insensitive). Build one with <see cref="ItemFilterParser"/>.
/// </summary>
public sealed class ItemFilter
{
    private readonly Catalog _catalog;
    private readonly Clause[] _clauses;

    internal ItemFilter(Catalog catalog, Clause[] clauses)
    {
        _catalog = catalog;
        _clauses = clauses;
        Key = string.Join('\n', _clauses.Select(c => $"{c.Field}:{c.Value}".ToUpperInvariant()).Order(StringComparer.Ordinal));
    }

    /// <summary>The clauses in canonical form (field as the catalog spells it), e.g. "category:Tools > Hardware".</summary>
    public IReadOnlyList<string> Clauses => [.. _clauses.Select(c => $"{c.Field}:{c.Value}")];

    /// <summary>
    /// One string that is equal for filters that allow the same items of the same catalog
    /// (canonical clauses, sorted, case-folded): the key for an index that caches an
    /// allowed-set bitset per filter instead of rebuilding it for every request.
    /// </summary>
    public string Key { get; }

    /// <summary>True when item <paramref name="item"/> (a catalog index) passes every clause.</summary>
    public bool Allows(int item)
    {
        foreach (var clause in _clauses)
        {
            if (!clause.Matches(_catalog, item))
                return false;
        }
        return true;
    }

    internal enum FieldKind
    {
        Category,
        Brand,
        Shop,
        Attribute,
    }

    internal sealed record Clause(FieldKind Kind, string Field, string Value)
    {
        public bool Matches(Catalog catalog, int item) => Kind switch
        {
            FieldKind.Category => CategoryMatches(catalog.Categories[item], Value),
            FieldKind.Brand => string.Equals(catalog.Brands[item], Value, StringComparison.OrdinalIgnoreCase),
            FieldKind.Shop => string.Equals(catalog.Shops[item], Value, StringComparison.OrdinalIgnoreCase),
            _ => AttributeMatches(catalog, item, Field, Value),
        };

        // Keys compare ignoring case like the values: a catalog may spell one key "color" on some
        // items and "Color" on others, and "color:black" means both.
        private static bool AttributeMatches(Catalog catalog, int item, string key, string value)
        {
            for (var a = catalog.AttributeOffsets[item]; a < catalog.AttributeOffsets[item + 1]; a++)
            {
                if (string.Equals(catalog.AttributeKeys[a], key, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(catalog.AttributeValues[a], value, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
            return false;
        }

        // "Tools > Hardware" matches "Tools > Hardware" and "Tools > Hardware > Brackets",
        // not "Tools > Hardwareish": the prefix must end at a segment boundary.
        private static bool CategoryMatches(string? category, string prefix)
        {
            if (category is null || !category.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                return false;
            if (category.Length == prefix.Length)
                return true;
            return category.AsSpan(prefix.Length).TrimStart().StartsWith('>');
        }
    }
}

/// <summary>
/// Parses filter clauses against one catalog: knows its attribute keys, so an unknown field
/// is reported instead of silently matching nothing. Thread-safe; build once per catalog.
/// </summary>
public sealed class ItemFilterParser
{
    private readonly Catalog _catalog;
    private readonly Dictionary<string, string> _attributeKeys; // lower-case-insensitive key -> catalog spelling

    public ItemFilterParser(Catalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
        _attributeKeys = new(StringComparer.OrdinalIgnoreCase);
        foreach (var key in catalog.AttributeKeys)
            _attributeKeys.TryAdd(key, key);
    }

    /// <summary>The fields a clause may name: category, brand, shop and the catalog's attribute keys.</summary>
    public IReadOnlyList<string> Fields =>
        [.. new[] { "category", "brand", "shop" }.Concat(_attributeKeys.Values.Order(StringComparer.Ordinal))];

    /// <summary>
    /// Parses the clauses (null or empty: no filter). Throws <see cref="SearchInputException"/>
    /// naming the clause when one is malformed or names an unknown field.
    /// </summary>
    public ItemFilter? Parse(IReadOnlyList<string>? clauses, string parameter = "filter")
    {
        if (clauses is null || clauses.Count == 0)
            return null;
        var parsed = new ItemFilter.Clause[clauses.Count];
        for (var i = 0; i < clauses.Count; i++)
        {
            var where = clauses.Count == 1 ? parameter : $"{parameter}[{i}]";
            var text = clauses[i] ?? "";
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                ThrowHelper.SearchInput(where, $"'{Shorten(text)}' is not of the form field:value (for example category:Tools > Hardware)");
            var field = text[..colon].Trim();
            var value = text[(colon + 1)..].Trim();
            if (value.Length == 0)
                ThrowHelper.SearchInput(where, $"'{Shorten(text)}' has an empty value");
            parsed[i] = field.ToLowerInvariant() switch
            {
                "category" => new(ItemFilter.FieldKind.Category, "category", CanonicalCategory(value)
                    ?? ThrowHelper.SearchInput<string>(where, $"'{Shorten(text)}' names no category")),
                "brand" => new(ItemFilter.FieldKind.Brand, "brand", value),
                "shop" => new(ItemFilter.FieldKind.Shop, "shop", value),
                _ when _attributeKeys.TryGetValue(field, out var key) => new(ItemFilter.FieldKind.Attribute, key, value),
                _ => ThrowHelper.SearchInput<ItemFilter.Clause>(where,
                    $"unknown filter field '{Shorten(field)}'; known fields: {string.Join(", ", Fields.Take(20))}{(Fields.Count > 20 ? ", ..." : "")}"),
            };
        }
        return new ItemFilter(_catalog, parsed);
    }

    // "Tools>Hardware" and "Tools >  Hardware" mean "Tools > Hardware", the catalog's spelling.
    private static string? CanonicalCategory(string value)
    {
        var parts = value.Split('>', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? null : string.Join(" > ", parts);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
