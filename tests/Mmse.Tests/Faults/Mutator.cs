using System.Buffers.Binary;
using System.Text;

namespace Mmse.Tests.Faults;

/// <summary>
/// The seeded input generator of the fault suite: each input is either random (bytes, or a soup
/// of the format's tokens) or a valid sample with one to four mutations (bit flips, truncation,
/// splices of two samples, deleted and repeated ranges, huge numbers, NaN, invalid UTF-8, deep
/// JSON, extreme integers over binary fields). Everything comes from one <see cref="Random"/>,
/// so a seed and an input number name an input for good.
/// </summary>
internal sealed class Mutator
{
    private readonly Random _rng;
    private readonly byte[][] _samples;
    private readonly byte[][] _tokens;
    private readonly bool _binary;

    /// <param name="rng">The one source of randomness.</param>
    /// <param name="samples">Valid files of the format (at least one).</param>
    /// <param name="binary">Binary format: mutations favour aligned integer and float fields over text tokens.</param>
    /// <param name="tokens">Format-specific pieces (field names, separators) for random and inserted text.</param>
    public Mutator(Random rng, IReadOnlyList<byte[]> samples, bool binary, IEnumerable<string>? tokens = null)
    {
        _rng = rng;
        _samples = [.. samples];
        _binary = binary;
        _tokens = [.. s_hostileTokens, .. (tokens ?? []).Select(t => Encoding.UTF8.GetBytes(t))];
    }

    /// <summary>What the last <see cref="Next"/> did, for the report of a failing input.</summary>
    public string LastRecipe { get; private set; } = "";

    // Pieces that have broken parsers before: huge and special numbers, invalid UTF-8, deep nesting.
    private static readonly byte[][] s_hostileTokens =
    [
        .. new[]
        {
            "1e999", "-1e999", "99999999999999999999999999", "-9223372036854775809", "2147483648", "-2147483649",
            "NaN", "-Infinity", "Infinity", "\"NaN\"", "1e-400", "0x10", "-0", "1.", ".5", "00012",
            "\"\\ud800\"", "\"\\u0000\"", "\"\\", "\\u", "null", "true", "[]", "{}", "\"\"", ",", ":", "\"", "{", "}", "[", "]",
            "\n", "\r\n", "\r", "\t", "\u0018", "_", "-1", "\uFEFF", "\u2028", "é", "中文",
            new string('[', 2000), new string('{', 500), string.Concat(Enumerable.Repeat("{\"a\":", 300)),
            string.Concat(Enumerable.Repeat("[1,", 1000)), new string('x', 70_000), new string('"', 3),
        }.Select(s => Encoding.UTF8.GetBytes(s)),
        [0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0x00],
    ];

    private static readonly int[] s_extremeInts = [0, 1, -1, 2, 255, 256, 65535, 65536, 1 << 20, int.MaxValue, int.MinValue, int.MaxValue - 7, 0x3FFFFFFF];
    private static readonly long[] s_extremeLongs = [0, -1, 1, long.MaxValue, long.MinValue, int.MaxValue + 1L, 1L << 40];
    private static readonly float[] s_extremeFloats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, -0f, float.Epsilon];

    /// <summary>The next input.</summary>
    public byte[] Next()
    {
        var roll = _rng.Next(100);
        if (roll < 4)
        {
            LastRecipe = "random bytes";
            var bytes = new byte[_rng.Next(0, 300)];
            _rng.NextBytes(bytes);
            return bytes;
        }
        if (roll < 10)
        {
            LastRecipe = "token soup";
            return TokenSoup();
        }
        var data = new List<byte>(Pick(_samples));
        var steps = 1 + _rng.Next(4);
        var recipe = new StringBuilder();
        for (var s = 0; s < steps; s++)
            recipe.Append(Mutate(data)).Append("; ");
        LastRecipe = recipe.ToString();
        return [.. data];
    }

    private T Pick<T>(T[] items) => items[_rng.Next(items.Length)];

    private byte[] TokenSoup()
    {
        var soup = new List<byte>();
        var count = _rng.Next(1, 40);
        for (var i = 0; i < count; i++)
        {
            if (_rng.Next(3) == 0)
            {
                var sample = Pick(_samples);
                var start = _rng.Next(sample.Length + 1);
                soup.AddRange(sample.AsSpan(start, Math.Min(sample.Length - start, _rng.Next(1, 64))).ToArray());
            }
            else
            {
                soup.AddRange(Pick(_tokens));
            }
        }
        return [.. soup];
    }

    private string Mutate(List<byte> data)
    {
        var kind = _rng.Next(_binary ? 11 : 9);
        var at = _rng.Next(data.Count + 1);
        switch (kind)
        {
            case 0 when data.Count > 0:
                var bit = _rng.Next(data.Count * 8);
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                return $"flip bit {bit}";
            case 1 when data.Count > 0:
                var cut = _rng.Next(data.Count);
                data.RemoveRange(cut, data.Count - cut);
                return $"truncate to {cut}";
            case 2 when data.Count > 0:
                var start = _rng.Next(data.Count);
                var length = Math.Min(data.Count - start, 1 + _rng.Next(64));
                data.RemoveRange(start, length);
                return $"delete {length} at {start}";
            case 3 when data.Count > 0:
                var from = _rng.Next(data.Count);
                var take = Math.Min(data.Count - from, 1 + _rng.Next(256));
                var repeat = data.GetRange(from, take);
                data.InsertRange(at, repeat);
                return $"repeat {take} from {from} at {at}";
            case 4:
                // Splice: this input up to a point, then another sample from a point.
                var other = Pick(_samples);
                var tail = _rng.Next(other.Length + 1);
                data.RemoveRange(at, data.Count - at);
                data.AddRange(other.AsSpan(tail).ToArray());
                return $"splice at {at} with a sample from {tail}";
            case 5 when data.Count > 0:
                var i = _rng.Next(data.Count);
                data[i] = Pick<byte>([0, 0xFF, 0x7F, 0x80, (byte)'"', (byte)'\n', (byte)'\t', (byte)',', (byte)'\\', 0x18]);
                return $"set byte {i}";
            case 6:
            case 7:
                var token = Pick(_tokens);
                data.InsertRange(at, token);
                return $"insert token ({token.Length} bytes) at {at}";
            case 8:
                // Replace a number in the text with a hostile one.
                var digit = data.FindIndex(_rng.Next(data.Count + 1), b => b is >= (byte)'0' and <= (byte)'9');
                if (digit < 0)
                    goto case 6;
                var end = digit;
                while (end < data.Count && data[end] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'-' or (byte)'e')
                    end++;
                var number = Pick(s_hostileTokens[..16]);
                data.RemoveRange(digit, end - digit);
                data.InsertRange(digit, number);
                return $"number at {digit} -> {Encoding.UTF8.GetString(number)}";
            case 9 when data.Count >= 4:
                // An extreme integer over a (usually aligned) field of a binary header or table.
                var p = _rng.Next(2) == 0 ? _rng.Next(data.Count - 3) & ~3 : _rng.Next(data.Count - 3);
                if (p + 8 <= data.Count && _rng.Next(3) == 0)
                {
                    var l = Pick(s_extremeLongs);
                    Span<byte> lb = stackalloc byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(lb, l);
                    for (var b = 0; b < 8; b++) data[p + b] = lb[b];
                    return $"int64 {l} at {p}";
                }
                var v = _rng.Next(4) == 0 ? BinaryPrimitives.ReadInt32LittleEndian(ToArray(data, p, 4)) + _rng.Next(-2, 3) : Pick(s_extremeInts);
                Span<byte> ib = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(ib, v);
                for (var b = 0; b < 4; b++) data[p + b] = ib[b];
                return $"int32 {v} at {p}";
            case 10 when data.Count >= 4:
                var q = _rng.Next(data.Count - 3) & ~3;
                Span<byte> fb = stackalloc byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(fb, Pick(s_extremeFloats));
                for (var b = 0; b < 4; b++) data[q + b] = fb[b];
                return $"float at {q}";
            default:
                data.Add((byte)_rng.Next(256));
                return "append a byte";
        }
    }

    private static byte[] ToArray(List<byte> data, int start, int count) => data.GetRange(start, count).ToArray();
}
