using Mmse.Data;

namespace Mmse.Index;

/// <summary>Glue between an index's positions and a catalog's dense item indices.</summary>
public static class ItemIndexExtensions
{
    /// <summary>
    /// For each index position, the catalog index of its id (-1 when the catalog lacks it): map
    /// hits to catalog items with one array read instead of a dictionary lookup per hit.
    /// </summary>
    public static int[] CatalogItems(this IItemIndex index, Catalog catalog)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        var map = new int[index.Count];
        for (var p = 0; p < map.Length; p++)
            map[p] = catalog.IndexOf(index.IdAt(p));
        return map;
    }
}
