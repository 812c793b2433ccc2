namespace Mmse.Data;

/// <summary>
/// One catalog item as read or written. Used at the format boundary only; the in-memory
/// <see cref="Catalog"/> is columnar so millions of items cost no per-item objects.
/// </summary>
public sealed record CatalogItem(
    string Id,
    string Title,
    string? Brand = null,
    string? Category = null,
    string? Shop = null,
    IReadOnlyList<KeyValuePair<string, string>>? Attributes = null,
    float? Price = null);

/// <summary>
/// The catalog in columns: item i has <c>Ids[i]</c>, <c>Titles[i]</c> and so on. Item ids are
/// interned to dense ints (the index i), which is what logs, models and indexes refer to.
/// </summary>
public sealed class Catalog
{
    private readonly IdIndex _index;

    internal Catalog(
        string[] ids, string[] titles, string?[] brands, string?[] categories, string?[] shops,
        float[] prices, int[] attributeOffsets, string[] attributeKeys, string[] attributeValues)
    {
        Ids = ids;
        Titles = titles;
        Brands = brands;
        Categories = categories;
        Shops = shops;
        Prices = prices;
        AttributeOffsets = attributeOffsets;
        AttributeKeys = attributeKeys;
        AttributeValues = attributeValues;
        _index = new IdIndex(ids);
    }

    public int Count => Ids.Length;

    public string[] Ids { get; }

    public string[] Titles { get; }

    public string?[] Brands { get; }

    public string?[] Categories { get; }

    public string?[] Shops { get; }

    /// <summary>Price per item; NaN when absent.</summary>
    public float[] Prices { get; }

    /// <summary>[Count + 1]: item i's attributes are at AttributeOffsets[i] .. AttributeOffsets[i + 1].</summary>
    public int[] AttributeOffsets { get; }

    /// <summary>Attribute keys (interned strings), parallel to <see cref="AttributeValues"/>.</summary>
    public string[] AttributeKeys { get; }

    public string[] AttributeValues { get; }

    /// <summary>The dense index of an id, or -1.</summary>
    public int IndexOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _index.IndexOf(id.AsSpan());
    }

    /// <summary>The dense index of an id given as UTF-16 chars (no string allocated), or -1.</summary>
    public int IndexOf(ReadOnlySpan<char> id) => _index.IndexOf(id);

    /// <summary>The dense index of an id given as UTF-8 bytes (straight from a file), or -1.</summary>
    public int IndexOfUtf8(ReadOnlySpan<byte> id) => _index.IndexOf(id);

    /// <summary>
    /// Batch lookup of UTF-8 ids held in <paramref name="source"/>: <c>results[k]</c> receives the
    /// index of <c>source[starts[k] .. starts[k] + lengths[k]]</c> or -1; entries with a negative
    /// length are skipped. Faster than one <see cref="IndexOfUtf8(ReadOnlySpan{byte})"/> per id on large catalogs.
    /// </summary>
    public void IndexOfUtf8(ReadOnlySpan<byte> source, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, Span<int> results)
    {
        if (starts.Length != lengths.Length || results.Length < lengths.Length)
            throw new ArgumentException($"'starts':{starts.Length}, 'lengths':{lengths.Length} and 'results':{results.Length} must match");
        _index.IndexOfMany(source, starts, lengths, results);
    }

    /// <summary>The value of attribute <paramref name="key"/> of item i, or null.</summary>
    public string? Attribute(int item, string key)
    {
        for (var a = AttributeOffsets[item]; a < AttributeOffsets[item + 1]; a++)
        {
            if (string.Equals(AttributeKeys[a], key, StringComparison.Ordinal))
                return AttributeValues[a];
        }
        return null;
    }

    /// <summary>Materialises item i as a record (for writers and display, not hot paths).</summary>
    public CatalogItem Get(int item)
    {
        List<KeyValuePair<string, string>>? attributes = null;
        var start = AttributeOffsets[item];
        var end = AttributeOffsets[item + 1];
        if (end > start)
        {
            attributes = new(end - start);
            for (var a = start; a < end; a++)
                attributes.Add(new(AttributeKeys[a], AttributeValues[a]));
        }
        var price = Prices[item];
        return new CatalogItem(Ids[item], Titles[item], Brands[item], Categories[item], Shops[item],
            attributes, float.IsNaN(price) ? null : price);
    }
}

/// <summary>Builds a <see cref="Catalog"/> item by item; ids must be unique.</summary>
public sealed class CatalogBuilder
{
    private readonly List<string> _ids = [];
    private readonly List<string> _titles = [];
    private readonly List<string?> _brands = [];
    private readonly List<string?> _categories = [];
    private readonly List<string?> _shops = [];
    private readonly List<float> _prices = [];
    private readonly List<int> _attributeOffsets = [0];
    private readonly List<string> _attributeKeys = [];
    private readonly List<string> _attributeValues = [];
    private readonly Dictionary<string, int> _indexById = new(StringComparer.Ordinal);
    private readonly StringPool _pool = new();

    public int Count => _ids.Count;

    /// <summary>Reserves room for this many items (fewer large-object GCs on big reads).</summary>
    internal void EnsureCapacity(int items)
    {
        _ids.EnsureCapacity(items);
        _titles.EnsureCapacity(items);
        _brands.EnsureCapacity(items);
        _categories.EnsureCapacity(items);
        _shops.EnsureCapacity(items);
        _prices.EnsureCapacity(items);
        _attributeOffsets.EnsureCapacity(items + 1);
        _indexById.EnsureCapacity(items);
    }

    public bool Contains(string id) => _indexById.ContainsKey(id);

    /// <summary>Adds an item; returns false (and adds nothing) when the id is already present.</summary>
    public bool TryAdd(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_indexById.TryAdd(item.Id, _ids.Count))
            return false;
        _ids.Add(item.Id);
        _titles.Add(item.Title);
        _brands.Add(item.Brand is null ? null : _pool.Intern(item.Brand));
        _categories.Add(item.Category is null ? null : _pool.Intern(item.Category));
        _shops.Add(item.Shop is null ? null : _pool.Intern(item.Shop));
        _prices.Add(item.Price ?? float.NaN);
        if (item.Attributes is not null)
        {
            foreach (var (key, value) in item.Attributes)
            {
                _attributeKeys.Add(_pool.Intern(key));
                _attributeValues.Add(_pool.Intern(value));
            }
        }
        _attributeOffsets.Add(_attributeKeys.Count);
        return true;
    }

    public Catalog Build() => new(
        [.. _ids], [.. _titles], [.. _brands], [.. _categories], [.. _shops], [.. _prices],
        [.. _attributeOffsets], [.. _attributeKeys], [.. _attributeValues]);
}
