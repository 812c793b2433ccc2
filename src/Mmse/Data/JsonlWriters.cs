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
    private readonly AtomicFile _file;
    private readonly Utf8JsonWriter _json;

    public CatalogJsonlWriter(string path)
    {
        _file = new AtomicFile(path, 1 << 20);
        _json = new Utf8JsonWriter(_file.Stream, JsonlWriting.Options);
    }

    public void Write(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _json.WriteStartObject();
        _json.WriteString("id", item.Id);
        _json.WriteString("title", item.Title);
        if (item.Brand is not null) _json.WriteString("brand", item.Brand);
        if (item.Category is not null) _json.WriteString("category", item.Category);
        if (item.Shop is not null) _json.WriteString("shop", item.Shop);
        if (item.Attributes is { Count: > 0 })
        {
            _json.WriteStartObject("attributes");
            foreach (var (key, value) in item.Attributes)
                _json.WriteString(key, value);
            _json.WriteEndObject();
        }
        if (item.Price is { } price) _json.WriteNumber("price", Math.Round(price, 2));
        _json.WriteEndObject();
        JsonlWriting.EndLine(_json, _file.Stream);
    }

    public void Commit()
    {
        _json.Flush();
        _json.Dispose();
        _file.Commit();
    }

    public void Dispose()
    {
        _json.Dispose();
        _file.Dispose();
    }
}

/// <summary>Writes search requests as JSONL (DESIGN §2); atomic like <see cref="CatalogJsonlWriter"/>.</summary>
public sealed class SearchLogJsonlWriter : IDisposable
{
    private readonly AtomicFile _file;
    private readonly Utf8JsonWriter _json;

    public SearchLogJsonlWriter(string path)
    {
        _file = new AtomicFile(path, 1 << 20);
        _json = new Utf8JsonWriter(_file.Stream, JsonlWriting.Options);
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
        JsonlWriting.EndLine(_json, _file.Stream);
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

    public void Commit()
    {
        _json.Flush();
        _json.Dispose();
        _file.Commit();
    }

    public void Dispose()
    {
        _json.Dispose();
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

    public static void EndLine(Utf8JsonWriter json, Stream stream)
    {
        json.Flush();
        stream.WriteByte((byte)'\n');
        json.Reset(stream);
    }
}
