namespace Mmse.Internals;

/// <summary>
/// Reads a file as lines of raw UTF-8 bytes without allocating per line; tracks the
/// 1-based line number for error messages. Strips a trailing '\r' and a leading BOM.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer;  // grows to the longest line
    private int _start;
    private int _end;
    private bool _eof;
    private readonly long _origin;          // file offset of the first byte read
    private readonly long _limit = long.MaxValue;  // lines starting at or after this file offset are not read

    public LineReader(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        Length = _stream.Length;
        // 1 MB, or the file and a byte when smaller: thousands of small files (the fault suite
        // reads ten thousand per reader) must not each cost a large-object allocation.
        _buffer = new byte[(int)Math.Clamp(Length + 1, 4096, 1 << 20)];
    }

    /// <summary>
    /// Reads the lines that start in the byte range [start, end) of the file, for parallel
    /// readers that split a file into chunks: a line that starts before <paramref name="end"/>
    /// is read to its end, and a line that started before <paramref name="start"/> belongs to
    /// the previous chunk. <see cref="LineNumber"/> counts from 1 within the chunk.
    /// </summary>
    public LineReader(string path, long start, long end) : this(path)
    {
        _limit = end;
        if (end - start < _buffer.Length / 2)
            _buffer = new byte[Math.Max(4096, (int)(end - start) * 2)];  // grows if a line is longer
        if (start > 0)
        {
            // Start one byte early: if that byte is '\n', the first "line" is empty and the
            // chunk starts exactly at start; otherwise it is the tail of the previous chunk's line.
            _origin = start - 1;
            _stream.Position = _origin;
            TryReadLine(out _);
            LineNumber = 0;
        }
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>Bytes consumed so far (for progress), counted from where this reader started.</summary>
    public long Position { get; private set; }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        if (_origin + Position >= _limit)
        {
            line = default;
            return false;
        }
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Take(newline, 1);
                return true;
            }
            if (_eof)
            {
                if (_end > _start)
                {
                    line = Take(_end - _start, 0);
                    return true;
                }
                line = default;
                return false;
            }
            Fill();
        }
    }

    private ReadOnlySpan<byte> Take(int length, int terminator)
    {
        var line = _buffer.AsSpan(_start, length);
        _start += length + terminator;
        Position += length + terminator;
        LineNumber++;
        if (line.Length > 0 && line[^1] == (byte)'\r')
            line = line[..^1];
        if (LineNumber == 1 && _origin == 0 && line.StartsWith("\uFEFF"u8))
            line = line[3..];
        return line;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
            _eof = true;
        _end += read;
    }

    public void Dispose() => _stream.Dispose();
}
