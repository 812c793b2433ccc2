namespace Mmse.Text;

/// <summary>
/// The simple tokenizer of lexical search (BM25, the synthetic display engine): lower-case
/// runs of letters and digits are words; a run of CJK characters yields its character
/// bigrams (a lone character yields itself), since Chinese is written without spaces.
/// It is deliberately separate from the model's hashed tokenizer.
/// </summary>
public static class LexicalTokenizer
{
    /// <summary>True for CJK ideographs, kana and hangul.</summary>
    public static bool IsCjk(char c) =>
        c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\u3040' and <= '\u30FF'
            or >= '\uAC00' and <= '\uD7AF' or >= '\uF900' and <= '\uFAFF';

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="tokens"/>.</summary>
    public static void Tokenize(string text, List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokens);
        var lower = text.ToLowerInvariant();
        var e = new Enumerator(lower);
        while (e.MoveNext())
            tokens.Add(lower.Substring(e.Start, e.Length));
    }

    /// <summary>The tokens of <paramref name="text"/> as a new list.</summary>
    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, tokens);
        return tokens;
    }

    /// <summary>Appends a stable 32-bit hash (FNV-1a) of each token; no strings are allocated.</summary>
    public static void Hashes(string text, List<int> hashes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(hashes);
        var e = new Enumerator(text);
        while (e.MoveNext())
        {
            var h = 2166136261u;
            foreach (var c in text.AsSpan(e.Start, e.Length))
            {
                h = (h ^ char.ToLowerInvariant(c)) * 16777619u;
            }
            hashes.Add((int)h);
        }
    }

    /// <summary>Walks token ranges; the caller lower-cases (or hashes case-insensitively).</summary>
    internal ref struct Enumerator(ReadOnlySpan<char> text)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private int _next;
        private int _cjkRunEnd = -1;

        public int Start { get; private set; }

        public int Length { get; private set; }

        public bool MoveNext()
        {
            // Inside a CJK run: the next bigram.
            if (_cjkRunEnd >= 0)
            {
                if (_next + 1 < _cjkRunEnd)
                {
                    Start = _next;
                    Length = 2;
                    _next++;
                    return true;
                }
                _next = _cjkRunEnd;
                _cjkRunEnd = -1;
            }
            while (_next < _text.Length)
            {
                var c = _text[_next];
                if (IsCjk(c))
                {
                    var end = _next + 1;
                    while (end < _text.Length && IsCjk(_text[end])) end++;
                    Start = _next;
                    if (end - _next == 1)
                    {
                        Length = 1;
                        _next = end;
                        return true;
                    }
                    Length = 2;
                    _cjkRunEnd = end;
                    _next++;
                    return true;
                }
                if (char.IsLetterOrDigit(c))
                {
                    var end = _next + 1;
                    while (end < _text.Length && char.IsLetterOrDigit(_text[end]) && !IsCjk(_text[end])) end++;
                    Start = _next;
                    Length = end - _next;
                    _next = end;
                    return true;
                }
                _next++;
            }
            return false;
        }
    }
}
