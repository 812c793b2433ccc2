using Mmse.Data;
using Mmse.Index;
using Mmse.Internals;

namespace Mmse.Retrieval;

/// <summary>
/// The one rule for index items whose id the catalog lacks (docs/index.md, "Ids missing from the
/// catalog"), used by every route from a query to catalog items (the server, <c>mmse search</c>,
/// <c>eval --index</c>, the demo): each index position is mapped once, by id, to its dense catalog
/// index; a live position whose id the catalog lacks maps to -1 and is never returned (nor is a
/// deleted one); and an index where more than <see cref="DefaultMaxMissingFraction"/> of the live
/// items are missing is refused, since it was built from another catalog.
/// </summary>
public sealed class CatalogPositions
{
    /// <summary>The largest fraction of live index items that may be missing from the catalog: 1%.</summary>
    public const double DefaultMaxMissingFraction = 0.01;

    private readonly int[] _catalogIndex; // [positions]: catalog index, -1 when not served

    private CatalogPositions(int[] catalogIndex, int served, int missing, AllowedSet? servedSet)
    {
        _catalogIndex = catalogIndex;
        Served = served;
        Missing = missing;
        ServedSet = servedSet;
    }

    /// <summary>
    /// Maps <paramref name="index"/>'s positions to <paramref name="catalog"/>; throws
    /// <see cref="MmseInputException"/> naming <paramref name="name"/> when more than
    /// <paramref name="maxMissingFraction"/> of its live items are not in the catalog.
    /// </summary>
    public static CatalogPositions Map(IPositionIds index, Catalog catalog, string? name = null,
        double maxMissingFraction = DefaultMaxMissingFraction)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        var map = new int[index.Count];
        int missing = 0, deleted = 0;
        string? firstMissing = null;
        for (var p = 0; p < map.Length; p++)
        {
            if (index.IsDeleted(p))
            {
                map[p] = -1;
                deleted++;
                continue;
            }
            var id = index.IdAt(p);
            var item = catalog.IndexOf(id);
            map[p] = item;
            if (item < 0)
            {
                missing++;
                firstMissing ??= id;
            }
        }
        var live = index.Count - deleted;
        if (missing > maxMissingFraction * live)
        {
            ThrowHelper.Input(
                $"{name ?? "the index"}: {missing} of its {live} items are not in the catalog (the first is id '{firstMissing}'): it was built from another catalog");
        }
        var servedSet = missing + deleted > 0 ? AllowedSet.FromPredicate(map.Length, p => map[p] >= 0) : null;
        return new CatalogPositions(map, live - missing, missing, servedSet);
    }

    /// <summary>Positions mapped (the index's count, deleted ones included).</summary>
    public int Length => _catalogIndex.Length;

    /// <summary>Items served: live index items whose id is in the catalog.</summary>
    public int Served { get; }

    /// <summary>Live index items left out because the catalog lacks their id.</summary>
    public int Missing { get; }

    /// <summary>The positions that may be returned, or null when every position may.</summary>
    public AllowedSet? ServedSet { get; }

    /// <summary>The catalog index of <paramref name="position"/>, or -1 when it is never returned.</summary>
    public int this[int position] => _catalogIndex[position];

    /// <summary>
    /// The allowed set over the index's positions for a parsed filter: served positions whose
    /// catalog item <paramref name="filter"/> allows (every served one when it is null).
    /// </summary>
    public AllowedSet Allowed(ItemFilter? filter) => filter is null
        ? ServedSet ?? AllowedSet.FromPredicate(_catalogIndex.Length, _ => true)
        : AllowedSet.FromPredicate(_catalogIndex.Length, p => _catalogIndex[p] >= 0 && filter.Allows(_catalogIndex[p]));
}

/// <summary>Glue between an index's positions and a catalog's dense item indices.</summary>
public static class PositionIdsExtensions
{
    /// <summary>
    /// For each index position, the catalog index of its id (-1 when the catalog lacks it): map
    /// hits to catalog items with one array read instead of a dictionary lookup per hit. Applies
    /// no refusal rule; a route to catalog items uses <see cref="CatalogPositions.Map"/>.
    /// </summary>
    public static int[] CatalogItems(this IPositionIds index, Catalog catalog)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        var map = new int[index.Count];
        for (var p = 0; p < map.Length; p++)
            map[p] = catalog.IndexOf(index.IdAt(p));
        return map;
    }
}

/// <summary>
/// The filter grammar of <see cref="ItemFilterParser"/> (the server's) applied to a vector index
/// directly: <c>category:Tools</c> (that category and every path below it, whole segments;
/// <c>Tools&gt;Hardware</c> means <c>Tools &gt; Hardware</c>), <c>brand:X</c>, <c>shop:X</c>, or any
/// attribute <c>key:value</c>; case-insensitive; several clauses combine with AND.
/// </summary>
public static class CatalogFilter
{
    /// <summary>
    /// The allowed set over <paramref name="index"/>'s positions of the items that satisfy every
    /// clause. An index item whose id the catalog lacks is not allowed.
    /// </summary>
    /// <exception cref="SearchInputException">Malformed clause or unknown field (the server's message).</exception>
    public static AllowedSet Parse(Catalog catalog, IPositionIds index, params string[] expressions)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(expressions);
        var filter = new ItemFilterParser(catalog).Parse(expressions);
        var items = index.CatalogItems(catalog);
        return AllowedSet.FromPredicate(items.Length, p => items[p] >= 0 && (filter is null || filter.Allows(items[p])));
    }
}
