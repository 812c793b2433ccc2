using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// Reads a search log (JSONL, DESIGN §2) against a catalog: item ids are interned to the
/// catalog's dense indices. An id absent from the catalog is a bad record (with skip-bad,
/// that item is dropped and counted, and the rest of the request is kept).
/// </summary>
public static class SearchLogReader
{
    public static SearchLog Read(string path, Catalog catalog, DataReadOptions? options = null, DataProblems? problems = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= DataReadOptions.Default;
        problems ??= new DataProblems(options.MaxReportedProblems);
        if (!File.Exists(path))
            throw new MmseInputException($"{path}: file not found");
        switch (DataFormats.Resolve(path, options.Format))
        {
            case DataFormat.JdSearch:
                return JdSearchReader.ReadLog(path, catalog, options, problems);
            case DataFormat.Csv or DataFormat.Tsv:
                throw new MmseInputException($"{path}: a search log must be JSONL or JDsearch release_data.txt, not CSV/TSV");
        }
        var builder = new SearchLogBuilder();
        var items = new List<int>(64);
        var actions = new List<UserAction>(64);
        using var lines = new LineReader(path);
        var any = false;
        while (lines.TryReadLine(out var line))
        {
            if (line.IsEmpty || line.IndexOfAnyExcept(" \t"u8) < 0)
                continue;
            any = true;
            try
            {
                var (query, user, time) = ParseRequest(line, path, lines.LineNumber, catalog, items, actions, options.SkipBad ? problems : null, builder);
                builder.Add(query, user, time, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items),
                    System.Runtime.InteropServices.CollectionsMarshal.AsSpan(actions));
            }
            catch (MmseDataException e) when (options.SkipBad)
            {
                problems.Add(e);
            }
            if ((lines.LineNumber & 0xFFFF) == 0)
                options.Progress?.Report((lines.Position, lines.Length));
        }
        if (!any)
            ThrowHelper.Data(path, 0, null, "the file is empty (no search requests)");
        options.Progress?.Report((lines.Length, lines.Length));
        return builder.Build();
    }

    private static (string Query, string? User, long Time) ParseRequest(ReadOnlySpan<byte> line, string path, long lineNumber,
        Catalog catalog, List<int> items, List<UserAction> actions, DataProblems? skipUnknown, SearchLogBuilder builder)
    {
        if (!Utf8.IsValid(line))
            ThrowHelper.Data(path, lineNumber, null, "invalid UTF-8");
        items.Clear();
        actions.Clear();
        string? query = null, user = null;
        var time = SearchLog.NoTime;
        var sawItems = false;
        var reader = new Utf8JsonReader(line);
        Span<char> idChars = stackalloc char[256];
        Span<char> actionChars = stackalloc char[16];
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                ThrowHelper.Data(path, lineNumber, null, "expected a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.GetString()!;
                reader.Read();
                switch (field)
                {
                    case "query":
                        if (reader.TokenType != JsonTokenType.String)
                            ThrowHelper.Data(path, lineNumber, field, $"must be a string, not {JsonFields.Describe(reader.TokenType)}");
                        query = reader.GetString()!;
                        break;
                    case "user":
                        user = JsonFields.OptionalString(ref reader, path, lineNumber, field);
                        break;
                    case "time":
                        time = ParseTime(ref reader, path, lineNumber);
                        break;
                    case "items":
                        if (reader.TokenType != JsonTokenType.StartArray)
                            ThrowHelper.Data(path, lineNumber, field, $"must be an array, not {JsonFields.Describe(reader.TokenType)}");
                        sawItems = true;
                        var position = 0;
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            var where = $"items[{position}]";
                            if (reader.TokenType != JsonTokenType.StartObject)
                                ThrowHelper.Data(path, lineNumber, where, "must be an object with an 'id'");
                            var item = -1;
                            string? id = null;
                            var action = UserAction.None;
                            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                            {
                                var name = reader.GetString()!;
                                reader.Read();
                                if (name == "id")
                                {
                                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.Length <= idChars.Length)
                                    {
                                        var n = System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, idChars);
                                        item = catalog.IndexOf(idChars[..n]);
                                        if (item < 0)
                                            id = idChars[..n].ToString();
                                    }
                                    else
                                    {
                                        id = JsonFields.ScalarText(ref reader, path, lineNumber, $"{where}.id");
                                        item = catalog.IndexOf(id);
                                    }
                                    id ??= "";
                                }
                                else if (name == "action")
                                {
                                    if (reader.TokenType == JsonTokenType.Null)
                                        continue;
                                    if (reader.TokenType != JsonTokenType.String)
                                        ThrowHelper.Data(path, lineNumber, $"{where}.action", "must be one of none, click, cart, order");
                                    var ok = reader.ValueSpan.Length <= actionChars.Length
                                        && Levels.TryParse(actionChars[..System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, actionChars)], out action);
                                    if (!ok)
                                        ThrowHelper.Data(path, lineNumber, $"{where}.action", $"unknown action '{reader.GetString()}' (expected none, click, cart or order)");
                                }
                                else
                                {
                                    reader.Skip();
                                }
                            }
                            if (id is null)
                                ThrowHelper.Data(path, lineNumber, $"{where}.id", "missing");
                            if (item < 0)
                            {
                                var problem = new MmseDataException(path, lineNumber, $"{where}.id", $"item '{id}' is not in the catalog");
                                if (skipUnknown is null)
                                    throw problem;
                                skipUnknown.Add(problem);
                                builder.UnknownItemIds++;
                            }
                            else
                            {
                                items.Add(item);
                                actions.Add(action);
                            }
                            position++;
                        }
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                ThrowHelper.Data(path, lineNumber, null, "malformed JSON: trailing content after the object");
        }
        catch (JsonException e)
        {
            ThrowHelper.Data(path, lineNumber, null, $"malformed JSON: {JsonFields.Describe(e)}");
        }
        if (query is null)
            ThrowHelper.Data(path, lineNumber, "query", "missing (every request needs a query)");
        if (!sawItems)
            ThrowHelper.Data(path, lineNumber, "items", "missing (every request needs its displayed items)");
        return (query, user, time);
    }

    private static long ParseTime(ref Utf8JsonReader reader, string path, long lineNumber)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return SearchLog.NoTime;
            case JsonTokenType.Number when reader.TryGetInt64(out var seconds):
                return seconds * 1000;
            case JsonTokenType.String when DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var t):
                return t.ToUnixTimeMilliseconds();
            default:
                ThrowHelper.Data(path, lineNumber, "time", "must be an ISO 8601 time or Unix seconds");
                return 0;
        }
    }
}
