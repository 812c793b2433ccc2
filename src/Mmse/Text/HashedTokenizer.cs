using System.Text;

namespace Mmse.Text;

/// <summary>Options of the hashed tokeniser (DESIGN §4, spec v1 in docs/model.md).</summary>
public sealed record TokenizerOptions
{
    public static TokenizerOptions Default { get; } = new();

    /// <summary>Number of hash buckets B. Default 2^20.</summary>
    public int Buckets { get; init; } = 1 << 20;

    /// <summary>Hash seed. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Mix the field name into the hash so fields do not share tokens. Default false.</summary>
    public bool FieldMixing { get; init; }

    /// <summary>
    /// Word analysis. Default <see cref="TextAnalysis.Plain"/> (spec v1). <see cref="TextAnalysis.English"/>
    /// replaces each non-CJK word by its Lucene English stem and drops English stop words before the
    /// unigrams, bigrams and trigrams are formed, so "drills" in a query meets "drilling" in a title;
    /// CJK characters and bigrams are unchanged.
    /// </summary>
    public TextAnalysis Analysis { get; init; } = TextAnalysis.Plain;
}

/// <summary>
/// Multi-granular hashed tokeniser, spec v1 (docs/model.md): word unigrams, word bigrams,
/// character trigrams of <c>#word#</c>, CJK characters and CJK character bigrams, each hashed
/// with seeded FNV-1a 64 into B buckets. No vocabulary: an unseen word still lands somewhere.
/// Thread-safe (no mutable state).
/// </summary>
public sealed class HashedTokenizer
{
    public HashedTokenizer(TokenizerOptions? options = null)
    {
        Options = options ?? TokenizerOptions.Default;
        if (!s_nfkcWorks)
            throw new InvalidOperationException("Unicode NFKC normalisation is unavailable (the process runs with InvariantGlobalization or without ICU); the tokeniser would silently give other bucket ids");
        if (Options.Buckets < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"'buckets':{Options.Buckets} must be at least 1");
    }

    public TokenizerOptions Options { get; }

    // In invariant-globalization mode .NET's Normalize returns its input unchanged: detect it once.
    private static readonly bool s_nfkcWorks = "\uFF2B".Normalize(NormalizationForm.FormKC) == "K";

    /// <summary>CJK per spec step 2: U+3400–4DBF, U+4E00–9FFF, U+F900–FAFF, U+3040–30FF, U+AC00–D7AF.</summary>
    public static bool IsCjk(char c) =>
        c is (>= '\u3400' and <= '\u4DBF') or (>= '\u4E00' and <= '\u9FFF') or (>= '\uF900' and <= '\uFAFF')
            or (>= '\u3040' and <= '\u30FF') or (>= '\uAC00' and <= '\uD7AF');

    /// <summary>The token strings of <paramref name="text"/> in spec order (without the field prefix).</summary>
    public static List<string> Tokens(string text) => Tokens(text, TextAnalysis.Plain);

    /// <summary>The token strings of <paramref name="text"/> under <paramref name="analysis"/> (without the field prefix).</summary>
    public static List<string> Tokens(string text, TextAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normal = (text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC)).ToLowerInvariant();
        var words = new List<string>();
        var cjkRuns = new List<string>();
        var i = 0;
        while (i < normal.Length)
        {
            var c = normal[i];
            if (IsCjk(c))
            {
                var start = i;
                while (i < normal.Length && IsCjk(normal[i])) i++;
                cjkRuns.Add(normal[start..i]);
            }
            else if (char.IsLetterOrDigit(c))
            {
                var start = i;
                while (i < normal.Length && !IsCjk(normal[i]) && char.IsLetterOrDigit(normal[i])) i++;
                words.Add(normal[start..i]);
            }
            else
            {
                i++;
            }
        }
        if (analysis == TextAnalysis.English)
            words = [.. words.SelectMany(EnglishAnalysis.AnalyzeWord)];
        var tokens = new List<string>();
        foreach (var w in words)
            tokens.Add("w:" + w);
        for (var k = 1; k < words.Count; k++)
            tokens.Add("b:" + words[k - 1] + " " + words[k]);
        foreach (var w in words)
        {
            var padded = "#" + w + "#";
            for (var k = 0; k + 3 <= padded.Length; k++)
                tokens.Add("t:" + padded.Substring(k, 3));
        }
        foreach (var run in cjkRuns)
        {
            foreach (var ch in run)
                tokens.Add("c:" + ch);
            for (var k = 1; k < run.Length; k++)
                tokens.Add("d:" + run[k - 1] + run[k]);
        }
        return tokens;
    }

    /// <summary>Seeded FNV-1a 64 of UTF-8 bytes (spec step 4).</summary>
    public static ulong Hash(ReadOnlySpan<byte> bytes, ulong seed)
    {
        var h = 0xcbf29ce484222325UL ^ unchecked(seed * 0x9E3779B97F4A7C15UL);
        foreach (var b in bytes)
        {
            h ^= b;
            h = unchecked(h * 0x100000001b3UL);
        }
        return h;
    }

    /// <summary>The bucket of one token (already prefixed with the field when mixing).</summary>
    public int Bucket(string prefixedToken)
    {
        ArgumentNullException.ThrowIfNull(prefixedToken);
        var max = Encoding.UTF8.GetMaxByteCount(prefixedToken.Length);
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(prefixedToken, buffer);
        var h = Hash(buffer[..n], Options.Seed);
        return (int)((h ^ (h >> 32)) % (ulong)Options.Buckets);
    }

    /// <summary>The field prefix of spec step 5: "" unless field mixing is on.</summary>
    public string FieldPrefix(string field) => Options.FieldMixing ? field + "\u0001" : "";

    /// <summary>Appends the bucket ids of <paramref name="text"/> as field <paramref name="field"/> to <paramref name="destination"/>.</summary>
    public void AddBuckets(string? text, string field, List<int> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (string.IsNullOrEmpty(text))
            return;
        var prefix = FieldPrefix(field);
        foreach (var token in Tokens(text, Options.Analysis))
            destination.Add(Bucket(prefix + token));
    }

    /// <summary>The bucket ids of <paramref name="text"/> as field <paramref name="field"/>.</summary>
    public int[] Buckets(string? text, string field = "query")
    {
        var list = new List<int>();
        AddBuckets(text, field, list);
        return [.. list];
    }
}
