using Mmse.Internals;

namespace Mmse.Data;

/// <summary>What one byte range of a file yielded in a parallel read. Line numbers inside are chunk-relative.</summary>
internal abstract class ChunkState
{
    /// <summary>Lines the chunk read (blank ones included), to turn relative line numbers into absolute ones.</summary>
    public long Lines { get; set; }

    /// <summary>True when the chunk had a non-blank line.</summary>
    public bool Any { get; set; }

    /// <summary>Set by the line handler on a bad record that stops the read (no skip-bad): later chunks stop early.</summary>
    public (long Line, string? Field, string Problem)? Fatal { get; set; }

    /// <summary>Bad records skipped (skip-bad), in line order.</summary>
    public List<(long Line, string? Field, string Problem)> Problems { get; } = [];

    /// <summary>Keeps a bad record: skipped for the report with skip-bad, else the one that stops the read.</summary>
    public void Record(MmseDataException e, bool skipBad)
    {
        if (skipBad)
            Problems.Add((e.Line, e.Field, e.Problem));
        else
            Fatal = (e.Line, e.Field, e.Problem);
    }

    /// <summary>Skipped problem <paramref name="p"/> at its absolute line (<paramref name="offset"/>: lines of the earlier chunks).</summary>
    public MmseDataException Problem(int p, string path, long offset) =>
        new(path, offset + Problems[p].Line, Problems[p].Field, Problems[p].Problem);

    /// <summary>Throws the bad record that stopped this chunk, if any, at its absolute line.</summary>
    public void ThrowIfFatal(string path, long offset)
    {
        if (Fatal is { } fatal)
            ThrowHelper.Data(path, offset + fatal.Line, fatal.Field, fatal.Problem);
    }
}

/// <summary>
/// Runs a line handler over a file split into byte-range chunks on several threads. Each
/// worker has its own handler (its own parser and buffers); the caller joins the chunks in
/// file order, so the result is the same as a serial read. Used by the JSONL readers, whose
/// lines are independent records.
/// </summary>
internal static class ChunkedRead
{
    public delegate void LineHandler<in T>(T chunk, ReadOnlySpan<byte> line, long lineInChunk);

    /// <summary>Threads for a read, or 1 when the file is too small to be worth splitting.</summary>
    public static int Threads(string path, DataReadOptions options)
    {
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        return threads > 1 && new FileInfo(path).Length > options.ChunkBytes ? threads : 1;
    }

    public static T[] Run<T>(string path, DataReadOptions options, int threads, Func<T> newChunk, Func<LineHandler<T>> newHandler)
        where T : ChunkState
    {
        var length = new FileInfo(path).Length;
        var chunkBytes = options.ChunkBytes;
        var count = (int)((length + chunkBytes - 1) / chunkBytes);
        var chunks = new T[count];
        var next = -1;
        var firstFatal = int.MaxValue;
        long done = 0;

        void Work()
        {
            var handle = newHandler();
            int c;
            while ((c = Interlocked.Increment(ref next)) < count)
            {
                var chunk = chunks[c] = newChunk();
                if (c > Volatile.Read(ref firstFatal))
                    continue;  // an earlier chunk already failed: its error is the one reported
                using var lines = new LineReader(path, (long)c * chunkBytes, Math.Min(length, (long)(c + 1) * chunkBytes));
                long reported = 0;
                while (lines.TryReadLine(out var line))
                {
                    if (line.IsEmpty || line.IndexOfAnyExcept(" \t"u8) < 0)
                        continue;
                    chunk.Any = true;
                    handle(chunk, line, lines.LineNumber);
                    if (chunk.Fatal is not null)
                    {
                        int seen;
                        while (c < (seen = Volatile.Read(ref firstFatal)) && Interlocked.CompareExchange(ref firstFatal, c, seen) != seen)
                        {
                        }
                        break;
                    }
                    if ((lines.LineNumber & 0x3FF) == 0)
                    {
                        Interlocked.Add(ref done, lines.Position - reported);
                        reported = lines.Position;
                        if (c > Volatile.Read(ref firstFatal))
                            break;
                    }
                }
                chunk.Lines = lines.LineNumber;
                Interlocked.Add(ref done, lines.Position - reported);
            }
        }

        var workers = Enumerable.Range(0, Math.Min(threads, count))
            .Select(_ => Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        var all = Task.WhenAll(workers);
        while (!((IAsyncResult)all).AsyncWaitHandle.WaitOne(200))
            options.Progress?.Report((Math.Min(Interlocked.Read(ref done), length - 1), length));
        all.GetAwaiter().GetResult();  // rethrows a worker's unexpected exception as itself
        return chunks;
    }

    /// <summary>
    /// After the chunks are joined: refuses a file with no record, like <see cref="SerialLines"/>,
    /// and reports the read complete.
    /// </summary>
    public static void Finish(string path, DataReadOptions options, IEnumerable<ChunkState> chunks, string records)
    {
        if (!chunks.Any(c => c.Any))
            SerialLines.Empty(path, records);
        var length = new FileInfo(path).Length;
        options.Progress?.Report((length, length));
    }
}
