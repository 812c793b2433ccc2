using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Mmse.Data;

namespace Mmse.Synthesis;

/// <summary>
/// Writes search-log lines into a growable byte buffer, byte for byte what
/// <see cref="SearchLogJsonlWriter"/> writes (a test holds them equal) but several times
/// faster: ids are formatted straight from ints and the fixed parts are constant bytes.
/// Each generation block fills its own buffer; the writer appends buffers in block order.
/// </summary>
internal sealed class JsonlBuffer
{
    private byte[] _bytes = new byte[1 << 16];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

    public void Clear() => Length = 0;

    private Span<byte> Reserve(int count)
    {
        if (Length + count > _bytes.Length)
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + count));
        return _bytes.AsSpan(Length);
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    /// <summary>A JSON string with the escaping of the relaxed encoder the writers use.</summary>
    public void String(string text)
    {
        var span = Reserve(text.Length * 6 + 2);
        var n = 0;
        span[n++] = (byte)'"';
        foreach (var c in text)
        {
            if (c is '"' or '\\')
            {
                span[n++] = (byte)'\\';
                span[n++] = (byte)c;
            }
            else if (c is '\n' or '\r' or '\t' or '\b' or '\f')
            {
                span[n++] = (byte)'\\';
                span[n++] = (byte)(c switch { '\n' => 'n', '\r' => 'r', '\t' => 't', '\b' => 'b', _ => 'f' });
            }
            else if (c < 0x20 || char.IsSurrogate(c) || c == '\u007F')
            {
                // Rare in generated text; the encoder's \uXXXX form with upper-case hex.
                n += Encoding.ASCII.GetBytes($"\\u{(int)c:X4}", span[n..]);
            }
            else if (c < 0x80)
            {
                span[n++] = (byte)c;
            }
            else if (c < 0x800)
            {
                span[n++] = (byte)(0xC0 | (c >> 6));
                span[n++] = (byte)(0x80 | (c & 0x3F));
            }
            else
            {
                span[n++] = (byte)(0xE0 | (c >> 12));
                span[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                span[n++] = (byte)(0x80 | (c & 0x3F));
            }
        }
        span[n++] = (byte)'"';
        Length += n;
    }

    public void Int(long value)
    {
        var span = Reserve(24);
        Utf8Formatter.TryFormat(value, span, out var written);
        Length += written;
    }

    /// <summary>One request line in the search-log format; ids are <c>idBase + item</c>.</summary>
    public void Request(string query, string? user, long unixSeconds, ReadOnlySpan<int> items, ReadOnlySpan<UserAction> actions, long idBase)
    {
        Raw("{\"query\":"u8);
        String(query);
        if (user is not null)
        {
            Raw(",\"user\":"u8);
            String(user);
        }
        Raw(",\"time\":\""u8);
        var time = DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime;
        var span = Reserve(24);
        time.TryFormat(span, out var written, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Length += written;
        Raw("\",\"items\":["u8);
        for (var i = 0; i < items.Length; i++)
        {
            Raw(i == 0 ? "{\"id\":\""u8 : ",{\"id\":\""u8);
            Int(idBase + items[i]);
            switch (actions[i])
            {
                case UserAction.Click: Raw("\",\"action\":\"click\"}"u8); break;
                case UserAction.Cart: Raw("\",\"action\":\"cart\"}"u8); break;
                case UserAction.Order: Raw("\",\"action\":\"order\"}"u8); break;
                default: Raw("\"}"u8); break;
            }
        }
        Raw("]}\n"u8);
    }

    /// <summary>Appends what a <see cref="System.Text.Json.Utf8JsonWriter"/> wrote into an <see cref="ArrayBufferWriter{T}"/>.</summary>
    public void Append(ArrayBufferWriter<byte> written)
    {
        Raw(written.WrittenSpan);
        written.ResetWrittenCount();
    }
}
