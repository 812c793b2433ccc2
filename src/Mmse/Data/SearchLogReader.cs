using System.Globalization;
using System.Text;
using System.Text.Json;
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
        ThrowHelper.IfFileMissing(path);
        switch (DataFormats.Resolve(path, options.Format))
        {
            case DataFormat.JdSearch:
                return JdSearchReader.ReadLog(path, catalog, options, problems);
            case DataFormat.Csv or DataFormat.Tsv:
                return ThrowHelper.Input<SearchLog>($"{path}: a search log must be JSONL or JDsearch release_data.txt, not CSV/TSV");
        }
        var threads = ChunkedRead.Threads(path, options);
        return threads > 1 ? ReadParallel(path, catalog, options, problems, threads) : ReadSerial(path, catalog, options, problems);
    }

    private static SearchLog ReadSerial(string path, Catalog catalog, DataReadOptions options, DataProblems problems)
    {
        var builder = new SearchLogBuilder();
        var parser = new JsonlRequestParser(path, catalog, dropUnknown: options.SkipBad);
        using var lines = new LineReader(path);
        SerialLines.Read(lines, path, options, problems, 0x3FFF, "search requests", (line, lineNumber) =>
        {
            parser.Parse(line, lineNumber);
            builder.Add(parser.Query, parser.User, parser.Time, parser.Items, parser.Actions);
            if (parser.Unknown.Count > 0)
            {
                builder.UnknownItemIds += parser.Unknown.Count;
                foreach (var unknown in parser.Unknown)
                    problems.Add(unknown);
            }
        });
        return builder.Build();
    }

    private sealed class LogChunk : ChunkState
    {
        public SearchLogBuilder Builder { get; } = new();
    }

    /// <summary>
    /// Reads byte-range chunks on several threads (<see cref="ChunkedRead"/>), each with its own
    /// parser, then joins them in file order: the log, the problems and the first error are the
    /// same as a serial read's (line numbers are fixed up from the earlier chunks' line counts).
    /// </summary>
    private static SearchLog ReadParallel(string path, Catalog catalog, DataReadOptions options, DataProblems problems, int threads)
    {
        // Room for a typical chunk up front (about 22 bytes per displayed item, 700 per request),
        // so chunk builders do not grow by doubling through the large-object heap.
        var chunks = ChunkedRead.Run(path, options, threads, () =>
        {
            var chunk = new LogChunk();
            chunk.Builder.EnsureCapacity(options.ChunkBytes / 256, options.ChunkBytes / 16);
            return chunk;
        }, () =>
        {
            var parser = new JsonlRequestParser(path, catalog, dropUnknown: options.SkipBad);
            return (chunk, line, lineNumber) =>
            {
                try
                {
                    parser.Parse(line, lineNumber);
                    chunk.Builder.Add(parser.Query, parser.User, parser.Time, parser.Items, parser.Actions);
                    chunk.Builder.UnknownItemIds += parser.Unknown.Count;
                    foreach (var unknown in parser.Unknown)
                        chunk.Problems.Add((unknown.Line, unknown.Field, unknown.Problem));
                }
                catch (MmseDataException e)
                {
                    chunk.Record(e, options.SkipBad);
                }
            };
        });

        var builder = new SearchLogBuilder();
        builder.EnsureCapacity(chunks.Sum(c => c.Builder.Count), (int)Math.Min(Array.MaxLength, chunks.Sum(c => (long)c.Builder.TotalItems)));
        long offset = 0;
        foreach (var chunk in chunks)
        {
            for (var p = 0; p < chunk.Problems.Count; p++)
                problems.Add(chunk.Problem(p, path, offset));
            chunk.ThrowIfFatal(path, offset);
            builder.Append(chunk.Builder);
            offset += chunk.Lines;
        }
        ChunkedRead.Finish(path, options, chunks, "search requests");
        return builder.Build();
    }
}

/// <summary>
/// Parses one JSONL search request without per-item allocations: property names are compared
/// as UTF-8, ids are looked up in the catalog from a reused char buffer, and queries and users
/// are interned (logs repeat them). Field names for messages are built only on error.
/// </summary>
internal sealed class JsonlRequestParser
{
    private readonly string _path;
    private readonly Catalog _catalog;
    private readonly bool _dropUnknown;
    private readonly StringPool _strings = new();
    private char[] _chars = new char[256];
    // [capacity] per displayed item of the line: catalog index (or Pending/Dropped), action, and
    // where its id sits in the line, so all of a line's ids are looked up in one batch.
    private int[] _items = new int[256];
    private UserAction[] _actions = new UserAction[256];
    private int[] _idStarts = new int[256];
    private int[] _idLengths = new int[256];
    private const int Pending = -2;
    private const int Dropped = -1;
    private int _count;
    private long _line;

    /// <summary>With <paramref name="dropUnknown"/>, an item not in the catalog is left out and listed in <see cref="Unknown"/>; otherwise it throws.</summary>
    public JsonlRequestParser(string path, Catalog catalog, bool dropUnknown)
    {
        _path = path;
        _catalog = catalog;
        _dropUnknown = dropUnknown;
    }

    public string Query { get; private set; } = "";

    public string? User { get; private set; }

    public long Time { get; private set; }

    public ReadOnlySpan<int> Items => _items.AsSpan(0, _count);

    public ReadOnlySpan<UserAction> Actions => _actions.AsSpan(0, _count);

    /// <summary>Items of the last request left out because the catalog lacks them (only when dropping).</summary>
    public List<MmseDataException> Unknown { get; } = [];

    public void Parse(ReadOnlySpan<byte> line, long lineNumber)
    {
        _line = lineNumber;
        _count = 0;
        Unknown.Clear();
        RecordText.RequireUtf8(line, _path, lineNumber);
        string? query = null;
        User = null;
        Time = SearchLog.NoTime;
        var sawItems = false;
        var reader = new Utf8JsonReader(line);
        try
        {
            JsonFields.StartObject(ref reader, _path, lineNumber);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("items"u8))
                {
                    reader.Read();
                    ParseItems(ref reader);
                    sawItems = true;
                }
                else if (reader.ValueTextEquals("query"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                        ThrowHelper.Data(_path, lineNumber, "query", $"must be a string, not {JsonFields.Describe(reader.TokenType)}");
                    query = Intern(ref reader);
                }
                else if (reader.ValueTextEquals("user"u8))
                {
                    reader.Read();
                    User = reader.TokenType switch
                    {
                        JsonTokenType.Null => null,
                        JsonTokenType.String => Intern(ref reader),
                        _ => _strings.Intern(JsonFields.ScalarText(ref reader, _path, lineNumber, "user")),
                    };
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    Time = ParseTime(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            JsonFields.EndObject(ref reader, _path, lineNumber);
        }
        catch (JsonException e)
        {
            JsonFields.Malformed(e, _path, lineNumber);
        }
        catch (InvalidOperationException e)
        {
            JsonFields.BadText(e, _path, lineNumber, null);
        }
        if (query is null)
            ThrowHelper.Data(_path, lineNumber, "query", "missing (every request needs a query)");
        if (!sawItems)
            ThrowHelper.Data(_path, lineNumber, "items", "missing (every request needs its displayed items)");
        Resolve(line);
        Query = query;
    }

    /// <summary>Looks the line's pending ids up in one batch, reports unknown ones, and compacts the items.</summary>
    private void Resolve(ReadOnlySpan<byte> line)
    {
        _catalog.IndexOfUtf8(line, _idStarts.AsSpan(0, _count), _idLengths.AsSpan(0, _count), _items.AsSpan(0, _count));
        var kept = 0;
        for (var k = 0; k < _count; k++)
        {
            var item = _items[k];
            if (item < 0)
            {
                if (_idLengths[k] >= 0)  // looked up just now and not found (Dropped ones were reported already)
                    Unknown.Add(UnknownItem(k, Encoding.UTF8.GetString(line.Slice(_idStarts[k], _idLengths[k]))));
                continue;
            }
            _items[kept] = item;
            _actions[kept] = _actions[k];
            kept++;
        }
        _count = kept;
    }

    /// <summary>An id absent from the catalog: thrown, or kept for the skip-bad report when dropping.</summary>
    private MmseDataException UnknownItem(int position, string id)
    {
        var field = $"items[{position}].id";
        var problem = $"item '{id}' is not in the catalog";
        if (!_dropUnknown)
            ThrowHelper.Data(_path, _line, field, problem);
        return new MmseDataException(_path, _line, field, problem);
    }

    private void ParseItems(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            ThrowHelper.Data(_path, _line, "items", $"must be an array, not {JsonFields.Describe(reader.TokenType)}");
        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
                ThrowHelper.Data(_path, _line, $"items[{position}]", "must be an object with an 'id'");
            var sawId = false;
            var action = UserAction.None;
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _count * 2);
                Array.Resize(ref _actions, _count * 2);
                Array.Resize(ref _idStarts, _count * 2);
                Array.Resize(ref _idLengths, _count * 2);
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    SetId(ref reader, position);
                    sawId = true;
                }
                else if (reader.ValueTextEquals("action"u8))
                {
                    reader.Read();
                    action = ParseAction(ref reader, position);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (!sawId)
                ThrowHelper.Data(_path, _line, $"items[{position}].id", "missing");
            _actions[_count] = action;
            _count++;
            position++;
        }
    }

    /// <summary>
    /// Notes where the id under the reader sits in the line for the batch lookup; an escaped or
    /// non-string id (rare) is looked up at once instead.
    /// </summary>
    private void SetId(ref Utf8JsonReader reader, int position)
    {
        if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number && !reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            _items[_count] = Pending;
            _idStarts[_count] = (int)reader.TokenStartIndex + (reader.TokenType == JsonTokenType.String ? 1 : 0);
            _idLengths[_count] = reader.ValueSpan.Length;
            return;
        }
        var id = JsonFields.ScalarText(ref reader, _path, _line, $"items[{position}].id");
        var item = _catalog.IndexOf(id);
        _items[_count] = item;
        _idLengths[_count] = -1;
        if (item < 0)
        {
            Unknown.Add(UnknownItem(position, id));
            _items[_count] = Dropped;
        }
    }

    private UserAction ParseAction(ref Utf8JsonReader reader, int position)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return UserAction.None;
        if (reader.TokenType != JsonTokenType.String)
            ThrowHelper.Data(_path, _line, $"items[{position}].action", "must be one of none, click, cart, order");
        if (!reader.ValueIsEscaped)
        {
            var value = reader.ValueSpan;
            if (value.SequenceEqual("click"u8)) return UserAction.Click;
            if (value.SequenceEqual("none"u8)) return UserAction.None;
            if (value.SequenceEqual("order"u8)) return UserAction.Order;
            if (value.SequenceEqual("cart"u8)) return UserAction.Cart;
        }
        else if (Levels.TryParse(reader.GetString(), out var action))
        {
            return action;
        }
        ThrowHelper.Data(_path, _line, $"items[{position}].action",
            $"unknown action '{reader.GetString()}' (expected none, click, cart or order)");
        return default;
    }

    private long ParseTime(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return SearchLog.NoTime;
            case JsonTokenType.Number when reader.TryGetInt64(out var seconds):
                return seconds * 1000;
            case JsonTokenType.String:
                // The reader's own ISO 8601 parser allocates nothing, but it reads a time without
                // an offset as local time; those (and other spellings) take the general path as UTC.
                if (!reader.ValueIsEscaped && reader.ValueSpan is [.., (byte)'Z'] && reader.TryGetDateTimeOffset(out var fast))
                    return fast.ToUnixTimeMilliseconds();
                if (DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                    return t.ToUnixTimeMilliseconds();
                break;
        }
        ThrowHelper.Data(_path, _line, "time", "must be an ISO 8601 time or Unix seconds");
        return 0;
    }

    /// <summary>The string value under the reader, interned (decoded into the reused buffer first).</summary>
    private string Intern(ref Utf8JsonReader reader) =>
        !reader.ValueIsEscaped && !reader.HasValueSequence
            ? _strings.Intern(Chars(reader.ValueSpan))
            : _strings.Intern(reader.GetString()!);

    private ReadOnlySpan<char> Chars(ReadOnlySpan<byte> utf8)
    {
        if (_chars.Length < utf8.Length)
            _chars = new char[Math.Max(utf8.Length, _chars.Length * 2)];
        var n = Encoding.UTF8.GetChars(utf8, _chars);
        return _chars.AsSpan(0, n);
    }
}
