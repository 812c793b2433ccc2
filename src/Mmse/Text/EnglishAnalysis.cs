using System.Collections.Concurrent;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Util;

namespace Mmse.Text;

/// <summary>How words are analysed before they are matched (BM25) or hashed (the hashed tokeniser).</summary>
public enum TextAnalysis
{
    /// <summary>Lower-cased words as they are (the original behaviour).</summary>
    Plain,

    /// <summary>
    /// Lucene's EnglishAnalyzer: standard tokenizer, possessive filter, lower case, English stop
    /// words, Porter stemming, so "drills" and "drilling" meet as "drill". CJK text keeps the
    /// plain handling (characters and bigrams), since the analyzer is for English.
    /// </summary>
    English,
}

/// <summary>
/// English analysis through Lucene.Net's <see cref="EnglishAnalyzer"/> (Lucene 4.8 rules), with CJK
/// runs cut out first and handled as <see cref="LexicalTokenizer"/> does. Thread-safe: the
/// analyzer keeps one token stream per thread.
/// </summary>
public static class EnglishAnalysis
{
    private static readonly EnglishAnalyzer s_analyzer = new(LuceneVersion.LUCENE_48);

    // Word -> analysed forms; the vocabulary of real text is bounded, so the map stops growing at a cap.
    private static readonly ConcurrentDictionary<string, string[]> s_words = new(StringComparer.Ordinal);
    private const int WordCacheCap = 1 << 20;

    /// <summary>Appends the analysed tokens of <paramref name="text"/>: English tokens first, then CJK bigrams (a lone CJK character yields itself).</summary>
    public static void Tokenize(string text, List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokens);
        var hasCjk = false;
        foreach (var c in text)
        {
            if (LexicalTokenizer.IsCjk(c))
            {
                hasCjk = true;
                break;
            }
        }
        if (!hasCjk)
        {
            Analyze(text, tokens);
            return;
        }
        // CJK characters become spaces for the analyzer and go through the plain CJK rule instead.
        var latin = new char[text.Length];
        for (var i = 0; i < text.Length; i++)
            latin[i] = LexicalTokenizer.IsCjk(text[i]) ? ' ' : text[i];
        Analyze(new string(latin), tokens);
        var lower = text.ToLowerInvariant();
        var e = new LexicalTokenizer.Enumerator(lower);
        while (e.MoveNext())
        {
            if (LexicalTokenizer.IsCjk(lower[e.Start]))
                tokens.Add(lower.Substring(e.Start, e.Length));
        }
    }

    /// <summary>The analysed tokens of <paramref name="text"/> as a new list.</summary>
    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, tokens);
        return tokens;
    }

    /// <summary>
    /// The analysed forms of one word (usually one stem; none for a stop word), memoised. The
    /// hashed tokeniser calls this on its own words so its word splitting stays as it is.
    /// </summary>
    public static string[] AnalyzeWord(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (s_words.TryGetValue(word, out var forms)) return forms;
        var list = new List<string>(1);
        Analyze(word, list);
        forms = [.. list];
        if (s_words.Count < WordCacheCap)
            s_words.TryAdd(word, forms);
        return forms;
    }

    private static void Analyze(string text, List<string> tokens)
    {
        using var stream = s_analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
            tokens.Add(term.ToString());
        stream.End();
    }
}
