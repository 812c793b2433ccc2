using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// Reads a catalog file (DESIGN §2): JSONL (one JSON object per line), CSV or TSV with a header
/// row, or JDsearch <c>product_data.txt</c>; <see cref="DataReadOptions.Format"/> chooses, by
/// default from the file name (<see cref="DataFormats.Detect"/>).
/// </summary>
public static class CatalogReader
{
    /// <summary>Reads the whole catalog; throws <see cref="MmseDataException"/> on the first bad record unless skipping.</summary>
    public static Catalog Read(string path, DataReadOptions? options = null, DataProblems? problems = null)
    {
        options ??= DataReadOptions.Default;
        problems ??= new DataProblems(options.MaxReportedProblems);
        ThrowHelper.IfFileMissing(path);
        return DataFormats.Resolve(path, options.Format) switch
        {
            DataFormat.Csv => DelimitedCatalogReader.Read(path, ',', options, problems),
            DataFormat.Tsv => DelimitedCatalogReader.Read(path, '\t', options, problems),
            DataFormat.JdSearch => JdSearchReader.ReadCatalog(path, options, problems),
            _ => ReadJsonl(path, options, problems),
        };
    }

    private sealed class CatalogChunk : ChunkState
    {
        public List<(CatalogItem Item, long Line)> Items { get; } = [];
    }

    /// <summary>
    /// Parses byte-range chunks on several threads (<see cref="ChunkedRead"/>), then adds the
    /// items to one builder in file order, interleaved with the chunks' bad records by line, so
    /// duplicates, problems and the first error come out as in a serial read.
    /// </summary>
    private static Catalog ReadJsonlParallel(string path, DataReadOptions options, DataProblems problems, int threads)
    {
        var chunks = ChunkedRead.Run(path, options, threads, () =>
        {
            var chunk = new CatalogChunk();
            chunk.Items.Capacity = options.ChunkBytes / 160;  // a typical item line; avoids doubling through the large-object heap
            return chunk;
        }, () =>
        {
            var attributes = new List<KeyValuePair<string, string>>();
            var pool = new TextPool();
            return (chunk, line, lineNumber) =>
            {
                try
                {
                    chunk.Items.Add((ParseItem(line, path, lineNumber, attributes, pool), lineNumber));
                }
                catch (MmseDataException e)
                {
                    chunk.Record(e, options.SkipBad);
                }
            };
        });

        var builder = new CatalogBuilder();
        builder.EnsureCapacity(chunks.Sum(c => c.Items.Count));
        long offset = 0;
        foreach (var chunk in chunks)
        {
            var p = 0;
            foreach (var (item, line) in chunk.Items)
            {
                for (; p < chunk.Problems.Count && chunk.Problems[p].Line < line; p++)
                    problems.Add(chunk.Problem(p, path, offset));
                if (chunk.Fatal is { } f && f.Line < line)
                    break;
                if (!builder.TryAdd(item))
                {
                    var duplicate = $"duplicate catalog id '{item.Id}'";
                    if (!options.SkipBad)
                        ThrowHelper.Data(path, offset + line, "id", duplicate);
                    problems.Add(new MmseDataException(path, offset + line, "id", duplicate));
                }
            }
            for (; p < chunk.Problems.Count; p++)
                problems.Add(chunk.Problem(p, path, offset));
            chunk.ThrowIfFatal(path, offset);
            offset += chunk.Lines;
        }
        ChunkedRead.Finish(path, options, chunks, "catalog items");
        return builder.Build();
    }

    private static Catalog ReadJsonl(string path, DataReadOptions options, DataProblems problems)
    {
        var threads = ChunkedRead.Threads(path, options);
        if (threads > 1)
            return ReadJsonlParallel(path, options, problems, threads);
        var builder = new CatalogBuilder();
        using var lines = new LineReader(path);
        var attributes = new List<KeyValuePair<string, string>>();
        var pool = new TextPool();
        SerialLines.Read(lines, path, options, problems, 0xFFFF, "catalog items", (line, lineNumber) =>
        {
            var item = ParseItem(line, path, lineNumber, attributes, pool);
            if (!builder.TryAdd(item))
                ThrowHelper.Data(path, lineNumber, "id", $"duplicate catalog id '{item.Id}'");
        });
        return builder.Build();
    }

    /// <summary>Parses one JSONL item; <paramref name="pool"/> (one per thread) interns the repetitive fields.</summary>
    internal static CatalogItem ParseItem(ReadOnlySpan<byte> line, string path, long lineNumber,
        List<KeyValuePair<string, string>> attributes, TextPool pool)
    {
        RecordText.RequireUtf8(line, path, lineNumber);
        string? id = null, title = null, brand = null, category = null, shop = null;
        float? price = null;
        attributes.Clear();
        var reader = new Utf8JsonReader(line);
        string field = "(record)";
        try
        {
            JsonFields.StartObject(ref reader, path, lineNumber);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Names compared as UTF-8: no string per property on the hot path.
                field = reader.ValueTextEquals("id"u8) ? "id"
                    : reader.ValueTextEquals("title"u8) ? "title"
                    : reader.ValueTextEquals("brand"u8) ? "brand"
                    : reader.ValueTextEquals("category"u8) ? "category"
                    : reader.ValueTextEquals("shop"u8) ? "shop"
                    : reader.ValueTextEquals("price"u8) ? "price"
                    : reader.ValueTextEquals("attributes"u8) ? "attributes"
                    : "";
                reader.Read();
                switch (field)
                {
                    case "id": id = JsonFields.ScalarText(ref reader, path, lineNumber, field); break;
                    case "title": title = JsonFields.OptionalString(ref reader, path, lineNumber, field); break;
                    case "brand": brand = pool.Optional(ref reader, path, lineNumber, field); break;
                    case "category": category = pool.Optional(ref reader, path, lineNumber, field); break;
                    case "shop": shop = pool.Optional(ref reader, path, lineNumber, field); break;
                    case "price":
                        if (reader.TokenType == JsonTokenType.Number)
                            price = reader.GetSingle();
                        else if (reader.TokenType != JsonTokenType.Null)
                            ThrowHelper.Data(path, lineNumber, field, "must be a number");
                        break;
                    case "attributes":
                        if (reader.TokenType == JsonTokenType.Null)
                            break;
                        if (reader.TokenType != JsonTokenType.StartObject)
                            ThrowHelper.Data(path, lineNumber, field, "must be an object of name to value");
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var key = pool.Text(ref reader, path, lineNumber, "attributes");
                            reader.Read();
                            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.Null)
                                ThrowHelper.Data(path, lineNumber, $"attributes.{key}", $"must be a string, not {JsonFields.Describe(reader.TokenType)}");
                            attributes.Add(new(key, pool.Text(ref reader, path, lineNumber, $"attributes.{key}")));
                        }
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            JsonFields.EndObject(ref reader, path, lineNumber);
        }
        catch (JsonException e)
        {
            JsonFields.Malformed(e, path, lineNumber);
        }
        catch (InvalidOperationException e)
        {
            JsonFields.BadText(e, path, lineNumber, field);
        }
        if (id is null)
            ThrowHelper.Data(path, lineNumber, "id", "missing (every item needs a string id)");
        if (id.Length == 0)
            ThrowHelper.Data(path, lineNumber, "id", "must not be empty");
        if (title is null)
            ThrowHelper.Data(path, lineNumber, "title", "missing (every item needs a title)");
        return new CatalogItem(id, title, brand, category, shop, attributes.Count > 0 ? [.. attributes] : null, price);
    }
}

/// <summary>
/// Interns the catalog's repetitive texts (brands, categories, shops, attribute names and
/// values) straight from the JSON bytes, so a repeat costs a hash lookup instead of a string.
/// </summary>
internal sealed class TextPool
{
    private readonly StringPool _pool = new();
    private char[] _chars = new char[256];

    /// <summary>The property name or scalar value under the reader as interned text.</summary>
    public string Text(ref Utf8JsonReader reader, string path, long line, string field)
    {
        if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName or JsonTokenType.Number
            && !reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            var utf8 = reader.ValueSpan;
            if (_chars.Length < utf8.Length)
                _chars = new char[Math.Max(utf8.Length, _chars.Length * 2)];
            var n = Encoding.UTF8.GetChars(utf8, _chars);
            return _pool.Intern(_chars.AsSpan(0, n));
        }
        return _pool.Intern(reader.TokenType == JsonTokenType.PropertyName ? reader.GetString()! : JsonFields.ScalarText(ref reader, path, line, field));
    }

    public string? Optional(ref Utf8JsonReader reader, string path, long line, string field) =>
        reader.TokenType == JsonTokenType.Null ? null : Text(ref reader, path, line, field);
}

/// <summary>Small helpers that read one JSON value and name the field when it is wrong.</summary>
internal static class JsonFields
{
    /// <summary>Reads the start of the line's one object (a JSONL record).</summary>
    public static void StartObject(ref Utf8JsonReader reader, string path, long line)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            ThrowHelper.Data(path, line, null, "expected a JSON object");
    }

    /// <summary>Checks that the object just read ends the line.</summary>
    public static void EndObject(ref Utf8JsonReader reader, string path, long line)
    {
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            ThrowHelper.Data(path, line, null, "malformed JSON: trailing content after the object");
    }

    /// <summary>A record the JSON reader could not parse.</summary>
    [DoesNotReturn]
    public static void Malformed(JsonException e, string path, long line) =>
        ThrowHelper.Data(path, line, null, $"malformed JSON: {Describe(e)}");

    /// <summary>
    /// A string the JSON reader cannot turn into text: an escaped lone surrogate ("\ud800") is
    /// valid JSON syntax but not Unicode, and <c>Utf8JsonReader.GetString</c> says so with an
    /// <see cref="InvalidOperationException"/>, not a <see cref="JsonException"/>.
    /// </summary>
    [DoesNotReturn]
    public static void BadText(InvalidOperationException e, string path, long line, string? field) =>
        ThrowHelper.Data(path, line, field is "" or "(record)" ? null : field, $"invalid text: {e.Message}");

    public static string ScalarText(ref Utf8JsonReader reader, string path, long line, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            default:
                ThrowHelper.Data(path, line, field, $"must be a string, not {Describe(reader.TokenType)}");
                return null;
        }
    }

    public static string? OptionalString(ref Utf8JsonReader reader, string path, long line, string field) =>
        reader.TokenType == JsonTokenType.Null ? null : ScalarText(ref reader, path, line, field);

    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Null => "null",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => token.ToString(),
    };

    /// <summary>The JSON reader's message without its own line numbers (every record is one line).</summary>
    public static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
            message = message[..cut].TrimEnd('.', ' ');
        return $"{message} (at byte {e.BytePositionInLine})";
    }
}
