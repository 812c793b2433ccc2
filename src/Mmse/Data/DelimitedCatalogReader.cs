using System.Globalization;
using System.Text;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// CSV (RFC 4180 quoting) and TSV catalogs with a header row. Columns <c>id</c>, <c>title</c>,
/// <c>brand</c>, <c>category</c>, <c>shop</c>, <c>price</c> map onto the item; every other
/// column is an attribute named by its header. Quoted fields do not span lines.
/// </summary>
internal static class DelimitedCatalogReader
{
    public static Catalog Read(string path, char separator, DataReadOptions options, DataProblems problems)
    {
        using var lines = new LineReader(path);
        if (!lines.TryReadLine(out var headerLine) || headerLine.IsEmpty)
            ThrowHelper.Data(path, 0, null, "the file is empty (expected a header row)");
        RecordText.RequireUtf8(headerLine, path, 1);
        var header = Split(Encoding.UTF8.GetString(headerLine), separator, path, 1);
        int Col(string name) => Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        int id = Col("id"), title = Col("title"), brand = Col("brand"), category = Col("category"), shop = Col("shop"), price = Col("price");
        if (id < 0)
            ThrowHelper.Data(path, 1, "id", "the header has no 'id' column");
        if (title < 0)
            ThrowHelper.Data(path, 1, "title", "the header has no 'title' column");
        var known = new HashSet<int> { id, title, brand, category, shop, price };

        var builder = new CatalogBuilder();
        var attributes = new List<KeyValuePair<string, string>>();
        while (lines.TryReadLine(out var line))
        {
            if (line.IsEmpty)
                continue;
            try
            {
                RecordText.RequireUtf8(line, path, lines.LineNumber);
                var cells = Split(Encoding.UTF8.GetString(line), separator, path, lines.LineNumber);
                if (cells.Length != header.Length)
                    ThrowHelper.Data(path, lines.LineNumber, null, $"{cells.Length} columns, but the header has {header.Length}");
                if (cells[id].Length == 0)
                    ThrowHelper.Data(path, lines.LineNumber, "id", "must not be empty");
                float? p = null;
                if (price >= 0 && cells[price].Length > 0)
                {
                    if (!float.TryParse(cells[price], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                        ThrowHelper.Data(path, lines.LineNumber, "price", $"'{cells[price]}' is not a number");
                    p = value;
                }
                attributes.Clear();
                for (var c = 0; c < cells.Length; c++)
                {
                    if (!known.Contains(c) && cells[c].Length > 0)
                        attributes.Add(new(header[c].Trim(), cells[c]));
                }
                var item = new CatalogItem(cells[id], cells[title], Optional(cells, brand), Optional(cells, category),
                    Optional(cells, shop), attributes.Count > 0 ? [.. attributes] : null, p);
                if (!builder.TryAdd(item))
                    ThrowHelper.Data(path, lines.LineNumber, "id", $"duplicate catalog id '{item.Id}'");
            }
            catch (MmseDataException e) when (options.SkipBad)
            {
                problems.Add(e);
            }
        }
        if (builder.Count == 0 && problems.Count == 0)
            ThrowHelper.Data(path, 0, null, "the file is empty (a header row but no catalog items)");
        return builder.Build();
    }

    private static string? Optional(string[] cells, int column) =>
        column >= 0 && cells[column].Length > 0 ? cells[column] : null;

    /// <summary>Splits one record; for ',' honours double-quoted fields with "" escapes.</summary>
    internal static string[] Split(string line, char separator, string path, long lineNumber)
    {
        if (separator == '\t')
            return line.Split('\t');
        var cells = new List<string>();
        var cell = new StringBuilder();
        var i = 0;
        while (true)
        {
            cell.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                        ThrowHelper.Data(path, lineNumber, $"column {cells.Count + 1}", "unterminated quoted field");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    cell.Append(line[i++]);
                }
                if (i < line.Length && line[i] != separator)
                    ThrowHelper.Data(path, lineNumber, $"column {cells.Count + 1}", "text after a closing quote");
            }
            else
            {
                var next = line.IndexOf(separator, i);
                var end = next < 0 ? line.Length : next;
                cell.Append(line, i, end - i);
                i = end;
            }
            cells.Add(cell.ToString());
            if (i >= line.Length)
                break;
            i++; // separator
            if (i == line.Length)
            {
                cells.Add("");
                break;
            }
        }
        return [.. cells];
    }
}
