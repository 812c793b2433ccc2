using System.Text.Encodings.Web;
using System.Text.Json;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// Writes a catalog as JSONL (DESIGN §2). The file appears under its name only on
/// <see cref="Commit"/>; disposing without committing leaves any earlier file untouched.
/// </summary>
public sealed class CatalogJsonlWriter : IDisposable
{
    private readonly JsonlFile _file;

    /// <summary>Starts writing the catalog that appears at <paramref name="path"/> on <see cref="Commit"/>.</summary>
    public CatalogJsonlWriter(string path) => _file = new JsonlFile(path);

    /// <summary>Writes one item as one line.</summary>
    public void Write(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        JsonlWriting.WriteItem(_file.Json, item);
        _file.EndLine();
    }

    /// <inheritdoc cref="JsonlFile.Commit"/>
    public void Commit() => _file.Commit();

    /// <inheritdoc cref="JsonlFile.Dispose"/>
    public void Dispose() => _file.Dispose();
}

/// <summary>Writes search requests as JSONL (DESIGN §2); atomic like <see cref="CatalogJsonlWriter"/>.</summary>
public sealed class SearchLogJsonlWriter : IDisposable
{
    private readonly JsonlFile _file;
    private readonly Utf8JsonWriter _json;

    /// <summary>Starts writing the log that appears at <paramref name="path"/> on <see cref="Commit"/>.</summary>
    public SearchLogJsonlWriter(string path)
    {
        _file = new JsonlFile(path);
        _json = _file.Json;
    }

    /// <summary>Writes one request; <paramref name="time"/> is Unix milliseconds or <see cref="SearchLog.NoTime"/>.</summary>
    public void Write(string query, string? user, long time, ReadOnlySpan<LogItem> items)
    {
        _json.WriteStartObject();
        _json.WriteString("query", query);
        if (user is not null) _json.WriteString("user", user);
        if (time != SearchLog.NoTime)
            _json.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        _json.WriteStartArray("items");
        foreach (var item in items)
        {
            _json.WriteStartObject();
            _json.WriteString("id", item.Id);
            if (item.Action != UserAction.None)
                _json.WriteString("action", Levels.Name(item.Action));
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
        _json.WriteEndObject();
        _file.EndLine();
    }

    /// <summary>Writes request r of a log.</summary>
    public void Write(SearchLog log, Catalog catalog, int request)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(catalog);
        var ids = log.ItemsOf(request);
        var actions = log.ActionsOf(request);
        var items = new LogItem[ids.Length];
        for (var i = 0; i < ids.Length; i++)
            items[i] = new LogItem(catalog.Ids[ids[i]], actions[i]);
        Write(log.Queries[request], log.Users[request], log.Times[request], items);
    }

    /// <inheritdoc cref="JsonlFile.Commit"/>
    public void Commit() => _file.Commit();

    /// <inheritdoc cref="JsonlFile.Dispose"/>
    public void Dispose() => _file.Dispose();
}

/// <summary>What both JSONL writers do with their file: one JSON writer over an <see cref="AtomicFile"/>, one record a line.</summary>
internal sealed class JsonlFile : IDisposable
{
    private readonly AtomicFile _file;

    public JsonlFile(string path)
    {
        _file = new AtomicFile(path, 1 << 20);
        Json = new Utf8JsonWriter(_file.Stream, JsonlWriting.Options);
    }

    public Utf8JsonWriter Json { get; }

    /// <summary>Ends the record just written with a newline.</summary>
    public void EndLine() => JsonlWriting.EndLine(Json, _file.Stream);

    /// <summary>Flushes and moves the file into place, replacing any earlier one.</summary>
    public void Commit()
    {
        Json.Flush();
        Json.Dispose();
        _file.Commit();
    }

    /// <summary>Without <see cref="Commit"/>, discards what was written and leaves any earlier file untouched.</summary>
    public void Dispose()
    {
        Json.Dispose();
        _file.Dispose();
    }
}

internal static class JsonlWriting
{
    /// <summary>Compact, and non-ASCII text (CJK titles) kept as UTF-8 rather than \u escapes.</summary>
    public static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        SkipValidation = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// One catalog record (DESIGN §2): absent fields are left out. The synthetic marketplace
    /// writes its catalog through this too, so both files have the same bytes.
    /// </summary>
    public static void WriteItem(Utf8JsonWriter json, CatalogItem item)
    {
        json.WriteStartObject();
        json.WriteString("id", item.Id);
        json.WriteString("title", item.Title);
        if (item.Brand is not null) json.WriteString("brand", item.Brand);
        if (item.Category is not null) json.WriteString("category", item.Category);
        if (item.Shop is not null) json.WriteString("shop", item.Shop);
        if (item.Attributes is { Count: > 0 })
        {
            json.WriteStartObject("attributes");
            foreach (var (key, value) in item.Attributes)
                json.WriteString(key, value);
            json.WriteEndObject();
        }
        if (item.Price is { } price) json.WriteNumber("price", Math.Round(price, 2));
        json.WriteEndObject();
    }

    public static void EndLine(Utf8JsonWriter json, Stream stream)
    {
        json.Flush();
        stream.WriteByte((byte)'\n');
        json.Reset(stream);
    }
}
