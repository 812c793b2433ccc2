using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>How the JDsearch dataset is mapped onto <see cref="Catalog"/> and <see cref="SearchLog"/>.</summary>
public sealed record JdSearchOptions
{
    public static JdSearchOptions Default { get; } = new();

    /// <summary>
    /// Also turn each line's user history into requests: consecutive history interactions under
    /// the same (non-empty) query become one request whose items carry their interaction level
    /// (ORD order, CART cart, CLICK and FLW click); query-less interactions (<c>-1</c>) are left
    /// out. They are added before the line's test request. Default false: one request per line.
    /// </summary>
    public bool IncludeHistory { get; init; }

    /// <summary>
    /// Drop products absent from <c>product_data.txt</c> and count them in
    /// <see cref="SearchLog.UnknownItemIds"/>, rather than treating them as bad records. The
    /// dataset says some products have no metadata, so this is the default (true).
    /// </summary>
    public bool DropMissingProducts { get; init; } = true;
}

/// <summary>
/// Reads the public JD.com JDsearch dataset (Liu et al., SIGIR 2023) natively: products from
/// <c>product_data.txt</c> and search requests from <c>release_data.txt</c>. Both are
/// tab-separated; list fields are joined with '_' and term-id texts with the byte 0x18
/// (<c>^X</c>), which becomes a space here. The mapping is documented in docs/formats.md.
/// </summary>
public static class JdSearchReader
{
    /// <summary>Columns of product_data.txt.</summary>
    public static readonly IReadOnlyList<string> ProductColumns =
    [
        "wid", "name", "brand_id", "brand_name", "cate_id_1", "cate_name_1", "cate_id_2", "cate_name_2",
        "cate_id_3", "cate_name_3", "cate_id_4", "cate_name_4", "shop_id",
    ];

    /// <summary>Columns of release_data.txt.</summary>
    public static readonly IReadOnlyList<string> ReleaseColumns =
    [
        "query", "candidate_wid_list", "candidate_label_list", "history_qry_list", "history_wid_list",
        "history_type_list", "history_time_list",
    ];

    /// <summary>Separates the term ids of one text field (ASCII CAN, shown as ^X).</summary>
    public const byte TermSeparator = 0x18;

    /// <summary>
    /// Reads product_data.txt: wid is the id, the name's term ids are the title, brand_name the
    /// brand, the four category names the category path ("a &gt; b &gt; c &gt; d"), shop_id the shop;
    /// brand_id and cate_id_1..4 become attributes. Empty and <c>-1</c> fields are absent. A first
    /// line that is the header row is skipped.
    /// </summary>
    public static Catalog ReadCatalog(string path, DataReadOptions? options = null, DataProblems? problems = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= DataReadOptions.Default;
        problems ??= new DataProblems(options.MaxReportedProblems);
        ThrowHelper.IfFileMissing(path);
        var builder = new CatalogBuilder();
        using var lines = new LineReader(path);
        var cols = new Range[ProductColumns.Count];
        var text = new TextBuffer();
        var category = new StringBuilder();
        var attributes = new List<KeyValuePair<string, string>>(5);
        SerialLines.Read(lines, path, options, problems, 0xFFFF, "products", (line, lineNumber) =>
        {
            RecordText.RequireUtf8(line, path, lineNumber);
            var n = SplitTabs(line, cols);
            if (n != ProductColumns.Count)
                ThrowHelper.Data(path, lineNumber, null,
                    $"{n} columns, but product_data.txt has {ProductColumns.Count} ({string.Join(", ", ProductColumns)})");
            var wid = line[cols[0]];
            if (IsMissing(wid))
                ThrowHelper.Data(path, lineNumber, "wid", "missing product id");
            var id = Encoding.UTF8.GetString(wid);
            var title = text.Terms(line[cols[1]]) ?? "";
            var brand = text.Terms(line[cols[3]]);
            category.Clear();
            for (var level = 0; level < 4; level++)
            {
                var name = text.Terms(line[cols[5 + 2 * level]]);
                if (name is null)
                    continue;
                if (category.Length > 0)
                    category.Append(" > ");
                category.Append(name);
            }
            attributes.Clear();
            AddAttribute(attributes, "brand_id", line[cols[2]]);
            for (var level = 0; level < 4; level++)
                AddAttribute(attributes, ProductColumns[4 + 2 * level], line[cols[4 + 2 * level]]);
            var shop = line[cols[12]];
            var item = new CatalogItem(id, title, brand, category.Length > 0 ? category.ToString() : null,
                IsMissing(shop) ? null : Encoding.UTF8.GetString(shop), attributes.Count > 0 ? [.. attributes] : null);
            if (!builder.TryAdd(item))
                ThrowHelper.Data(path, lineNumber, "wid", $"duplicate product id '{id}'");
        }, "wid\t"u8);
        return builder.Build();
    }

    /// <summary>
    /// Reads release_data.txt: one request per line, the query's term ids as its text, the
    /// candidates in display order with labels 0/1/2/3 = none/click/cart/order. The file has no
    /// user id or absolute time, so requests have neither. See <see cref="JdSearchOptions"/> for
    /// the user history and for candidates absent from the catalog.
    /// </summary>
    public static SearchLog ReadLog(string path, Catalog catalog, DataReadOptions? options = null, DataProblems? problems = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= DataReadOptions.Default;
        problems ??= new DataProblems(options.MaxReportedProblems);
        var jd = options.JdSearch;
        ThrowHelper.IfFileMissing(path);
        var builder = new SearchLogBuilder();
        using var lines = new LineReader(path);
        var cols = new Range[ReleaseColumns.Count];
        var text = new TextBuffer();
        var items = new List<int>(256);
        var actions = new List<UserAction>(256);
        var history = new List<(string Query, int Start, int End)>();
        SerialLines.Read(lines, path, options, problems, 0x3FFF, "search requests", (line, ln) =>
        {
            RecordText.RequireUtf8(line, path, ln);
            var n = SplitTabs(line, cols);
            if (n != ReleaseColumns.Count)
                ThrowHelper.Data(path, ln, null, $"{n} columns, but release_data.txt has {ReleaseColumns.Count} ({string.Join(", ", ReleaseColumns)})");
            var query = text.Terms(line[cols[0]]);
            if (query is null)
                ThrowHelper.Data(path, ln, "query", "missing (every request needs a query)");
            items.Clear();
            actions.Clear();
            history.Clear();
            long unknown = 0;
            if (jd.IncludeHistory)
                unknown += ParseHistory(path, ln, line, cols, catalog, jd, text, items, actions, history);
            var candidatesStart = items.Count;
            unknown += ParseCandidates(path, ln, line[cols[1]], line[cols[2]], catalog, jd, items, actions);

            var allItems = CollectionsMarshal.AsSpan(items);
            var allActions = CollectionsMarshal.AsSpan(actions);
            foreach (var (q, start, end) in history)
                builder.Add(q, null, SearchLog.NoTime, allItems[start..end], allActions[start..end]);
            builder.Add(query, null, SearchLog.NoTime, allItems[candidatesStart..], allActions[candidatesStart..]);
            builder.UnknownItemIds += unknown;
        }, "query\t"u8);
        return builder.Build();
    }

    /// <summary>The candidates and their labels; returns how many were dropped as unknown.</summary>
    private static long ParseCandidates(string path, long ln, ReadOnlySpan<byte> wids, ReadOnlySpan<byte> labels,
        Catalog catalog, JdSearchOptions jd, List<int> items, List<UserAction> actions)
    {
        var widCount = CountList(wids);
        var labelCount = CountList(labels);
        if (widCount != labelCount)
            ThrowHelper.Data(path, ln, "candidate_label_list", $"{labelCount} labels for {widCount} candidates");
        long unknown = 0;
        for (var k = 0; k < widCount; k++)
        {
            var wid = TakeListItem(ref wids);
            var label = TakeListItem(ref labels);
            if (wid.IsEmpty)
                ThrowHelper.Data(path, ln, $"candidate_wid_list[{k}]", "empty product id");
            if (!Utf8Parser.TryParse(label, out double value, out var used) || used != label.Length
                || value is not (0 or 1 or 2 or 3))
            {
                ThrowHelper.Data(path, ln, $"candidate_label_list[{k}]",
                    $"label '{Encoding.UTF8.GetString(label)}' must be 0, 1, 2 or 3 (none, click, cart, order)");
            }
            var item = catalog.IndexOfUtf8(wid);
            if (item < 0)
            {
                if (!jd.DropMissingProducts)
                    ThrowHelper.Data(path, ln, $"candidate_wid_list[{k}]", $"product '{Encoding.UTF8.GetString(wid)}' is not in the catalog");
                unknown++;
            }
            else
            {
                items.Add(item);
                actions.Add((UserAction)(int)value);
            }
        }
        return unknown;
    }

    /// <summary>History interactions grouped into requests (see <see cref="JdSearchOptions.IncludeHistory"/>).</summary>
    private static long ParseHistory(string path, long ln, ReadOnlySpan<byte> line, ReadOnlySpan<Range> cols, Catalog catalog,
        JdSearchOptions jd, TextBuffer text, List<int> items, List<UserAction> actions,
        List<(string Query, int Start, int End)> history)
    {
        var queries = line[cols[3]];
        var wids = line[cols[4]];
        var types = line[cols[5]];
        int nq = CountList(queries), nw = CountList(wids), nt = CountList(types);
        if (nq != nw || nt != nw)
            ThrowHelper.Data(path, ln, "history_wid_list", $"{nq} history queries, {nw} products and {nt} types: the lists must be as long");
        long unknown = 0;
        ReadOnlySpan<byte> groupQuery = default;
        string? groupText = null;
        var groupStart = items.Count;
        for (var k = 0; k < nw; k++)
        {
            var q = TakeListItem(ref queries);
            var wid = TakeListItem(ref wids);
            var type = TakeListItem(ref types);
            UserAction action;
            if (type.SequenceEqual("ORD"u8)) action = UserAction.Order;
            else if (type.SequenceEqual("CART"u8)) action = UserAction.Cart;
            else if (type.SequenceEqual("CLICK"u8) || type.SequenceEqual("FLW"u8)) action = UserAction.Click;
            else
            {
                ThrowHelper.Data(path, ln, $"history_type_list[{k}]",
                    $"unknown interaction '{Encoding.UTF8.GetString(type)}' (expected ORD, CART, CLICK or FLW)");
                return 0;
            }
            if (wid.IsEmpty)
                ThrowHelper.Data(path, ln, $"history_wid_list[{k}]", "empty product id");
            if (IsMissing(q))
                continue;
            if (groupText is null || !q.SequenceEqual(groupQuery))
            {
                if (groupText is not null && items.Count > groupStart)
                    history.Add((groupText, groupStart, items.Count));
                groupQuery = q;
                groupText = text.Terms(q)!;
                groupStart = items.Count;
            }
            var item = catalog.IndexOfUtf8(wid);
            if (item < 0)
            {
                if (!jd.DropMissingProducts)
                    ThrowHelper.Data(path, ln, $"history_wid_list[{k}]", $"product '{Encoding.UTF8.GetString(wid)}' is not in the catalog");
                unknown++;
                continue;
            }
            items.Add(item);
            actions.Add(action);
        }
        if (groupText is not null && items.Count > groupStart)
            history.Add((groupText, groupStart, items.Count));
        return unknown;
    }

    /// <summary>Elements of a '_'-joined list; an empty field is an empty list.</summary>
    private static int CountList(ReadOnlySpan<byte> list) => list.IsEmpty ? 0 : list.Count((byte)'_') + 1;

    /// <summary>Takes the next element of a '_'-joined list (call it <see cref="CountList"/> times).</summary>
    private static ReadOnlySpan<byte> TakeListItem(scoped ref ReadOnlySpan<byte> list)
    {
        var cut = list.IndexOf((byte)'_');
        if (cut < 0)
        {
            var last = list;
            list = default;
            return last;
        }
        var item = list[..cut];
        list = list[(cut + 1)..];
        return item;
    }

    /// <summary>Splits on tabs into <paramref name="cols"/>; returns the true column count (which may exceed its length).</summary>
    private static int SplitTabs(ReadOnlySpan<byte> line, Span<Range> cols)
    {
        var n = 0;
        var start = 0;
        while (true)
        {
            var tab = line[start..].IndexOf((byte)'\t');
            var end = tab < 0 ? line.Length : start + tab;
            if (n < cols.Length)
                cols[n] = start..end;
            n++;
            if (tab < 0)
                return n;
            start = end + 1;
        }
    }

    /// <summary>The dataset writes an absent value as an empty field or <c>-1</c>.</summary>
    private static bool IsMissing(ReadOnlySpan<byte> field) => field.IsEmpty || field.SequenceEqual("-1"u8);

    private static void AddAttribute(List<KeyValuePair<string, string>> attributes, string key, ReadOnlySpan<byte> value)
    {
        if (!IsMissing(value))
            attributes.Add(new(key, Encoding.UTF8.GetString(value)));
    }

    /// <summary>Decodes term-id text (0x18 between terms) into a string with single spaces, reusing one char buffer.</summary>
    private sealed class TextBuffer
    {
        private char[] _chars = new char[256];

        public string? Terms(ReadOnlySpan<byte> field)
        {
            if (IsMissing(field))
                return null;
            if (_chars.Length < field.Length)
                _chars = new char[Math.Max(field.Length, _chars.Length * 2)];
            var n = Encoding.UTF8.GetChars(field, _chars);
            var span = _chars.AsSpan(0, n);
            span.Replace((char)TermSeparator, ' ');
            return new string(span.Trim(' '));
        }
    }
}
