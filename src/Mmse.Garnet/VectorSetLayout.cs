using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mmse.Data;
using Mmse.Retrieval;

namespace Mmse.Garnet;

/// <summary>
/// What <c>mmse publish</c> wrote, stored as JSON under <see cref="GarnetTarget.ManifestKey"/>:
/// the model's version and dimension (a server refuses a model that differs), the quantisation,
/// the shard keys, and whether the last publish finished (a server refuses a half-written set).
/// </summary>
public sealed record PublishManifest
{
    /// <summary>The manifest format; bumped when the layout changes.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Layout version of this manifest (<see cref="CurrentFormat"/>).</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The encoder's <see cref="IQueryEncoder.Version"/> the vectors were made with.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Vector length d.</summary>
    public required int Dim { get; init; }

    /// <summary>Garnet's quantisation of the sets: <c>noquant</c>, <c>q8</c> or <c>bin</c>.</summary>
    public required string Quantize { get; init; }

    /// <summary>The vector-set key of each shard; the fingerprint hash of shard s is <c>Shards[s] + ":fp"</c>.</summary>
    public required IReadOnlyList<string> Shards { get; init; }

    /// <summary>Items in the sets after the last complete publish.</summary>
    public int Count { get; init; }

    /// <summary>False while a publish runs (or after one was interrupted).</summary>
    public bool Complete { get; init; }

    /// <summary>The JSON stored in Garnet.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Default.PublishManifest);

    /// <summary>Reads the stored JSON; null when it is not a manifest of this format.</summary>
    public static PublishManifest? FromJson(string json)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize(json, ManifestJson.Default.PublishManifest);
            return manifest is { Format: CurrentFormat } ? manifest : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PublishManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;

/// <summary>
/// How catalog items map onto Garnet vector sets. An item lives in shard
/// <c>FNV-1a(id) mod S</c>, so a re-publish finds it again without a lookup. Its filterable
/// fields go into one JSON attribute array <c>f</c> of lower-cased tokens
/// (<c>c=tools</c>, <c>c=tools &gt; hardware</c>, <c>b=acme</c>, <c>s=shop</c>, <c>a.color=black</c>)
/// plus <c>price</c> as a number, so every clause of <see cref="ItemFilter"/> becomes one
/// <c>"token" in .f</c> test: Garnet's filter language has no prefix match or case folding
/// (docs/scaling.md, "Gaps").
/// </summary>
public static class VectorSetLayout
{
    /// <summary>The shard of item id <paramref name="id"/> among <paramref name="shards"/>.</summary>
    public static int ShardOf(string id, int shards)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(id))
            hash = (hash ^ b) * 16777619u;
        return (int)(hash % (uint)shards);
    }

    /// <summary>The JSON attributes of catalog item <paramref name="item"/> (see the type's remarks).</summary>
    public static string Attributes(Catalog catalog, int item)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        using var stream = new MemoryStream();
        // Relaxed: Garnet's attribute parser does not decode \uXXXX, so "&" must stay "&" (docs/scaling.md, "Gaps").
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("f");
            var category = catalog.Categories[item];
            if (!string.IsNullOrWhiteSpace(category))
            {
                var parts = category.Split('>', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                for (var depth = 1; depth <= parts.Length; depth++)
                    json.WriteStringValue(Token("c", string.Join(" > ", parts, 0, depth)));
            }
            if (!string.IsNullOrWhiteSpace(catalog.Brands[item]))
                json.WriteStringValue(Token("b", catalog.Brands[item]!));
            if (!string.IsNullOrWhiteSpace(catalog.Shops[item]))
                json.WriteStringValue(Token("s", catalog.Shops[item]!));
            for (var a = catalog.AttributeOffsets[item]; a < catalog.AttributeOffsets[item + 1]; a++)
                json.WriteStringValue(Token("a." + catalog.AttributeKeys[a].Trim(), catalog.AttributeValues[a]));
            json.WriteEndArray();
            var price = catalog.Prices[item];
            if (float.IsFinite(price))
                json.WriteNumber("price", price);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// The Garnet <c>FILTER</c> expression equal to <paramref name="filter"/> (null when there is
    /// none): each clause <c>field:value</c> becomes <c>"token" in .f</c>, joined by <c>&amp;&amp;</c>.
    /// </summary>
    public static string? FilterExpression(ItemFilter? filter)
    {
        if (filter is null)
            return null;
        var terms = new List<string>();
        foreach (var clause in filter.Clauses)
        {
            var colon = clause.IndexOf(':', StringComparison.Ordinal);
            var field = clause[..colon];
            var value = clause[(colon + 1)..];
            var token = field switch
            {
                "category" => Token("c", value),
                "brand" => Token("b", value),
                "shop" => Token("s", value),
                _ => Token("a." + field, value),
            };
            terms.Add(Quote(token) + " in .f");
        }
        return string.Join(" && ", terms);
    }

    private static string Token(string field, string value) =>
        field.ToLowerInvariant() + "=" + value.Trim().ToLowerInvariant();

    // A string literal of Garnet's filter language: double quotes, backslash escapes.
    private static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var ch in text)
        {
            if (ch is '"' or '\\')
                builder.Append('\\');
            builder.Append(ch);
        }
        return builder.Append('"').ToString();
    }

    /// <summary>The fingerprint of one published item: its vector bytes and attributes, so a changed item is re-sent.</summary>
    public static string Fingerprint(ReadOnlySpan<float> vector, string attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var hash = new System.IO.Hashing.XxHash64();
        hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector));
        hash.Append(Encoding.UTF8.GetBytes(attributes));
        return hash.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture);
    }
}
