using System.Text;
using Mmse.Internals;

namespace Mmse.Index;

/// <summary>
/// The <c>.ids</c> file that pairs with a <c>.fvecs</c> file: UTF-8 text, one item id per line,
/// line i naming vector i. Written by <c>mmse embed</c>, read by <c>mmse index</c>.
/// </summary>
public static class ItemIds
{
    /// <summary>Reads the ids; <paramref name="expectedCount"/> (when not null) must match the line count.</summary>
    /// <exception cref="MmseInputException">Missing file, empty or duplicate id, count mismatch.</exception>
    public static List<string> Read(string path, int? expectedCount = null)
    {
        ThrowHelper.IfFileMissing(path);
        var ids = new List<string>(expectedCount ?? 1024);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var line = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            var id = raw.TrimEnd('\r');
            if (id.Length == 0)
                ThrowHelper.Data(path, line, "id", "empty id");
            if (!seen.TryAdd(id, line))
                ThrowHelper.Data(path, line, "id", $"duplicate id '{id}' (first on line {seen[id]})");
            ids.Add(id);
        }
        if (expectedCount is { } n && n != ids.Count)
            ThrowHelper.Data(path, 0, null, $"has {ids.Count} ids but the vectors file has {n} vectors");
        return ids;
    }

    /// <summary>Writes one id per line (atomically).</summary>
    public static void Write(string path, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var file = new AtomicFile(path);
        using (var writer = new StreamWriter(file.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
        {
            foreach (var id in ids)
            {
                if (id.Contains('\n', StringComparison.Ordinal) || id.Contains('\r', StringComparison.Ordinal))
                    throw new ArgumentException($"id '{id}' contains a line break");
                writer.Write(id);
                writer.Write('\n');
            }
        }
        file.Commit();
    }
}
