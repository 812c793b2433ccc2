using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// The serial read loop every line-per-record reader shares: skips blank lines (and an optional
/// header on line 1), hands each other line to a parser, collects a bad line's
/// <see cref="MmseDataException"/> when skip-bad is on (else it propagates), reports progress
/// every <c>progressMask + 1</c> lines, and refuses a file with no record.
/// </summary>
internal static class SerialLines
{
    /// <summary>Parses one non-blank line; <paramref name="lineNumber"/> is 1-based.</summary>
    public delegate void Parser(ReadOnlySpan<byte> line, long lineNumber);

    public static void Read(LineReader lines, string path, DataReadOptions options, DataProblems problems,
        int progressMask, string records, Parser parse, ReadOnlySpan<byte> header = default)
    {
        var any = false;
        while (lines.TryReadLine(out var line))
        {
            if (line.IsEmpty || line.IndexOfAnyExcept(" \t"u8) < 0
                || (!header.IsEmpty && lines.LineNumber == 1 && line.StartsWith(header)))
                continue;
            any = true;
            try
            {
                parse(line, lines.LineNumber);
            }
            catch (MmseDataException e) when (options.SkipBad)
            {
                problems.Add(e);
            }
            if ((lines.LineNumber & progressMask) == 0)
                options.Progress?.Report((lines.Position, lines.Length));
        }
        if (!any)
            Empty(path, records);
        options.Progress?.Report((lines.Length, lines.Length));
    }

    /// <summary>Refuses a file with no record (<paramref name="records"/> names them: "catalog items").</summary>
    public static void Empty(string path, string records) =>
        ThrowHelper.Data(path, 0, null, $"the file is empty (no {records})");
}
