using Mmse.Data;
using Mmse.Numerics;
using Mmse.Text;

namespace Mmse.Model;

/// <summary>The bucket ids of every item field of a catalog, in CSR per field: item i's field f tokens are Tokens[f][Offsets[f][i] .. Offsets[f][i + 1]].</summary>
public sealed class CatalogTokens
{
    private CatalogTokens(int[][] offsets, int[][] tokens, float[]? backbone = null)
    {
        Offsets = offsets;
        Tokens = tokens;
        Backbone = backbone;
    }

    /// <summary>The items' backbone vectors [items, D] for a model with a backbone (<see cref="AdapterTowers"/>); null otherwise.</summary>
    public float[]? Backbone { get; }

    /// <summary>The same tokens with the items' backbone vectors [items, D].</summary>
    public CatalogTokens WithBackbone(float[] vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        return new CatalogTokens(Offsets, Tokens, vectors);
    }

    public int[][] Offsets { get; }

    public int[][] Tokens { get; }

    public int Fields => Offsets.Length;

    /// <summary>The text of one item field (attributes: the values joined by spaces).</summary>
    public static string? FieldText(Catalog catalog, int item, string field)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return field switch
        {
            "title" => catalog.Titles[item],
            "brand" => catalog.Brands[item],
            "category" => catalog.Categories[item],
            "shop" => catalog.Shops[item],
            "attributes" => catalog.AttributeOffsets[item + 1] > catalog.AttributeOffsets[item]
                ? string.Join(' ', catalog.AttributeValues[catalog.AttributeOffsets[item]..catalog.AttributeOffsets[item + 1]])
                : null,
            _ => throw new ArgumentException($"unknown item field '{field}'", nameof(field)),
        };
    }

    public static CatalogTokens Build(Catalog catalog, HashedTokenizer tokenizer, IReadOnlyList<string> fields, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(fields);
        var n = catalog.Count;
        var offsets = new int[fields.Count][];
        var tokens = new int[fields.Count][];
        for (var f = 0; f < fields.Count; f++)
        {
            var perItem = new int[n][];
            var field = fields[f];
            Parallel2.For(n, Parallel2.Resolve(threads), 256, (from, to) =>
            {
                for (var i = from; i < to; i++)
                    perItem[i] = tokenizer.Buckets(FieldText(catalog, i, field), field);
            });
            var off = new int[n + 1];
            for (var i = 0; i < n; i++)
                off[i + 1] = checked(off[i] + perItem[i].Length);
            var tok = new int[off[n]];
            for (var i = 0; i < n; i++)
                perItem[i].CopyTo(tok, off[i]);
            offsets[f] = off;
            tokens[f] = tok;
        }
        return new CatalogTokens(offsets, tokens);
    }
}
