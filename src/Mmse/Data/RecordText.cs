using System.Text.Unicode;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>The check every line-per-record reader (JSONL, CSV/TSV, JDsearch) makes of a record's bytes.</summary>
internal static class RecordText
{
    /// <summary>Refuses a line that is not valid UTF-8, naming the file and the line.</summary>
    public static void RequireUtf8(ReadOnlySpan<byte> line, string path, long lineNumber)
    {
        if (!Utf8.IsValid(line))
            ThrowHelper.Data(path, lineNumber, null, "invalid UTF-8");
    }
}
