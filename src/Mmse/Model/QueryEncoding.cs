using System.Runtime.CompilerServices;
using System.Text;
using Mmse.Numerics;
using Mmse.Text;

namespace Mmse.Model;

/// <summary>
/// Reusable buffers for encoding one query at a time without allocating
/// (<see cref="MmseModel.EncodeQuery(ReadOnlySpan{char}, Span{float}, QueryScratch)"/>). They grow
/// to the longest query seen and never shrink. Not thread-safe: one per thread
/// (<see cref="ForThread"/> is the calling thread's own).
/// </summary>
public sealed class QueryScratch
{
    [ThreadStatic]
    private static QueryScratch? t_current;

    internal char[] Normal = new char[128]; // NFKC form of the query
    internal char[] Lower = new char[128];  // ... lower-cased (invariant)
    internal int[] Words = new int[64];     // [words, 2]: start, length in Lower
    internal int[] Runs = new int[16];      // [CJK runs, 2]: start, length in Lower
    internal int[] Tokens = new int[256];   // bucket ids, spec order
    internal float[] X = [];                // [E] mean embedding
    internal float[] H = [];                // [H] hidden after ReLU
    internal float[] Y = [];                // [K*d] heads before normalisation
    internal float[] Norms = [];            // [K]
    internal float[] Q = [];                // [K*d] unit heads

    /// <summary>The calling thread's scratch (created on first use; lives as long as the thread).</summary>
    public static QueryScratch ForThread => t_current ??= new QueryScratch();

    internal static void Ensure<T>(ref T[] buffer, int size)
    {
        if (buffer.Length < size)
            Array.Resize(ref buffer, Math.Max(size, buffer.Length * 2));
    }
}

/// <summary>
/// The hashed tokeniser's bucket ids (spec v1, <see cref="HashedTokenizer"/>) computed without
/// building any token string: FNV-1a is a byte stream, so hashing the prefix bytes and then the
/// UTF-8 bytes of the token's characters one by one gives exactly the hash of the concatenated
/// token. <see cref="HashedTokenizer.Buckets"/> is the reference it is tested against.
/// </summary>
internal static class QueryTokenizer
{
    private const ulong Prime = 0x100000001b3UL;

    /// <summary>Writes the bucket ids of <paramref name="text"/> to <c>scratch.Tokens</c>; returns how many.</summary>
    public static int Buckets(HashedTokenizer tokenizer, ReadOnlySpan<byte> fieldPrefix, ReadOnlySpan<char> text, QueryScratch scratch)
    {
        // Spec steps 1-2: NFKC, lower case (invariant), both into scratch (no strings).
        ReadOnlySpan<char> normal = text;
        if (!text.IsNormalized(NormalizationForm.FormKC))
        {
            if (!text.TryNormalize(scratch.Normal, out var written, NormalizationForm.FormKC))
            {
                QueryScratch.Ensure(ref scratch.Normal, text.GetNormalizedLength(NormalizationForm.FormKC));
                if (!text.TryNormalize(scratch.Normal, out written, NormalizationForm.FormKC))
                    throw new InvalidOperationException("NFKC normalisation did not fit its own reported length");
            }
            normal = scratch.Normal.AsSpan(0, written);
        }
        QueryScratch.Ensure(ref scratch.Lower, normal.Length);
        var lower = scratch.Lower.AsSpan(0, normal.Length);
        normal.ToLowerInvariant(lower);

        // Step 3: words (letters and digits) and CJK runs, as ranges of `lower`.
        int words = 0, runs = 0, i = 0;
        while (i < lower.Length)
        {
            var c = lower[i];
            var start = i;
            if (HashedTokenizer.IsCjk(c))
            {
                while (i < lower.Length && HashedTokenizer.IsCjk(lower[i])) i++;
                QueryScratch.Ensure(ref scratch.Runs, 2 * (runs + 1));
                scratch.Runs[2 * runs] = start;
                scratch.Runs[(2 * runs) + 1] = i - start;
                runs++;
            }
            else if (char.IsLetterOrDigit(c))
            {
                while (i < lower.Length && !HashedTokenizer.IsCjk(lower[i]) && char.IsLetterOrDigit(lower[i])) i++;
                QueryScratch.Ensure(ref scratch.Words, 2 * (words + 1));
                scratch.Words[2 * words] = start;
                scratch.Words[(2 * words) + 1] = i - start;
                words++;
            }
            else
            {
                i++;
            }
        }

        // Step 4-5: hash every token in spec order: w:, b:, t:, then c: and d: per CJK run.
        var seed = Seed(tokenizer.Options.Seed, fieldPrefix);
        var buckets = (ulong)tokenizer.Options.Buckets;
        var n = 0;
        var wordSpans = scratch.Words;
        for (var w = 0; w < words; w++)
            Add(scratch, ref n, buckets, Chars(Prefix(seed, 'w'), lower.Slice(wordSpans[2 * w], wordSpans[(2 * w) + 1])));
        for (var w = 1; w < words; w++)
        {
            var h = Chars(Prefix(seed, 'b'), lower.Slice(wordSpans[2 * (w - 1)], wordSpans[(2 * (w - 1)) + 1]));
            h = Byte(h, (byte)' ');
            Add(scratch, ref n, buckets, Chars(h, lower.Slice(wordSpans[2 * w], wordSpans[(2 * w) + 1])));
        }
        for (var w = 0; w < words; w++)
        {
            // Trigrams of "#word#": padded position p is '#' at both ends, word[p - 1] inside.
            var word = lower.Slice(wordSpans[2 * w], wordSpans[(2 * w) + 1]);
            for (var p = 0; p + 3 <= word.Length + 2; p++)
            {
                var h = Prefix(seed, 't');
                for (var q = p; q < p + 3; q++)
                    h = Char(h, q == 0 || q == word.Length + 1 ? '#' : word[q - 1]);
                Add(scratch, ref n, buckets, h);
            }
        }
        for (var r = 0; r < runs; r++)
        {
            var run = lower.Slice(scratch.Runs[2 * r], scratch.Runs[(2 * r) + 1]);
            foreach (var c in run)
                Add(scratch, ref n, buckets, Char(Prefix(seed, 'c'), c));
            for (var k = 1; k < run.Length; k++)
                Add(scratch, ref n, buckets, Char(Char(Prefix(seed, 'd'), run[k - 1]), run[k]));
        }
        return n;
    }

    /// <summary>The hash state after the seed and the field prefix (shared by every token).</summary>
    private static ulong Seed(ulong seed, ReadOnlySpan<byte> fieldPrefix)
    {
        var h = 0xcbf29ce484222325UL ^ unchecked(seed * 0x9E3779B97F4A7C15UL);
        foreach (var b in fieldPrefix)
            h = Byte(h, b);
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Prefix(ulong h, char kind) => Byte(Byte(h, (byte)kind), (byte)':');

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Byte(ulong h, byte b) => unchecked((h ^ b) * Prime);

    private static ulong Chars(ulong h, ReadOnlySpan<char> chars)
    {
        foreach (var c in chars)
            h = Char(h, c);
        return h;
    }

    /// <summary>
    /// Feeds the UTF-8 bytes of one UTF-16 unit. Tokens never hold surrogates (they are neither
    /// letters, digits nor CJK), so a unit is a whole scalar; a lone one would be encoded as
    /// U+FFFD, as <see cref="Encoding.UTF8"/> does.
    /// </summary>
    private static ulong Char(ulong h, char c)
    {
        if (c < 0x80)
            return Byte(h, (byte)c);
        if (c < 0x800)
            return Byte(Byte(h, (byte)(0xC0 | (c >> 6))), (byte)(0x80 | (c & 0x3F)));
        if (char.IsSurrogate(c))
            c = '\uFFFD';
        return Byte(Byte(Byte(h, (byte)(0xE0 | (c >> 12))), (byte)(0x80 | ((c >> 6) & 0x3F))), (byte)(0x80 | (c & 0x3F)));
    }

    private static void Add(QueryScratch scratch, ref int n, ulong buckets, ulong h)
    {
        QueryScratch.Ensure(ref scratch.Tokens, n + 1);
        scratch.Tokens[n++] = (int)((h ^ (h >> 32)) % buckets);
    }
}

/// <summary>
/// The query tower for one query (DESIGN §4) on <see cref="QueryScratch"/>: the same layers in the
/// same order as the batched <see cref="Towers.QueryForward{TPath}"/> with one row (mean bag, two
/// dense layers as one FMA chain per output in input order, per-head L2), without its per-call allocations.
/// </summary>
internal static class QueryTower
{
    /// <summary>Unit heads [K*d] of the tokens <c>scratch.Tokens[..tokens]</c> into <c>scratch.Q</c>.</summary>
    public static void Forward(ModelParameters p, ModelOptions o, int tokens, QueryScratch scratch)
    {
        int e = o.EmbeddingDim, h = o.Hidden, kd = o.Heads * o.Dim;
        QueryScratch.Ensure(ref scratch.X, e);
        QueryScratch.Ensure(ref scratch.H, h);
        QueryScratch.Ensure(ref scratch.Y, kd);
        QueryScratch.Ensure(ref scratch.Norms, o.Heads);
        QueryScratch.Ensure(ref scratch.Q, kd);
        MeanBag.Forward(p.Embedding, e, scratch.Tokens.AsSpan(0, tokens), scratch.X.AsSpan(0, e));
        DenseLayer.Forward<FastPath>(scratch.X.AsSpan(0, e), p.QueryW1, p.QueryB1, scratch.H.AsSpan(0, h), relu: true);
        DenseLayer.Forward<FastPath>(scratch.H.AsSpan(0, h), p.QueryW2, p.QueryB2, scratch.Y.AsSpan(0, kd), relu: false);
        L2Normalize.Forward(o.Heads, o.Dim, scratch.Y, scratch.Norms, scratch.Q);
    }
}
