using System.Buffers;

namespace Mmse.Backbone;

/// <summary>
/// The uncased WordPiece tokeniser of the SentenceTransformers NuGet packages (their embedded
/// BERTTokenizers code), rewritten without LINQ so the backbone's token ids are bit-identical to
/// the package's. Its quirks are kept on purpose, since the vectors must match: words are split
/// only on ' ' and "\r\n" plus a fixed punctuation set (tabs and other spaces stay inside words),
/// lower-cased, no accent stripping; a word longer than 50 characters is dropped; an unknown
/// word of at most 2 characters becomes [UNK]; when a later piece of a word is unknown the pieces
/// before it stay and one [UNK] follows; [CLS] + pieces + [SEP] are cut at 512 ids.
/// Thread-safe (read-only after construction).
/// </summary>
public sealed class WordPieceTokenizer
{
    /// <summary>The package's sequence limit.</summary>
    public const int MaxTokens = 512;

    private const int MaxWordLength = 50;
    private static readonly SearchValues<char> s_delimiters = SearchValues.Create(".,;:\\/?!#$%()=+-*\"'–_`<>&^@{}[]|~");

    private readonly Dictionary<string, int> _vocabulary;
    private readonly int _unknown;

    /// <summary>Builds the tokeniser from vocab.txt lines (blank lines are skipped, as the package does).</summary>
    public WordPieceTokenizer(IEnumerable<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var line in vocabulary)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            _vocabulary[line] = index++;
        }
        _unknown = _vocabulary["[UNK]"];
        Cls = _vocabulary["[CLS]"];
        Sep = _vocabulary["[SEP]"];
    }

    /// <summary>Id of [CLS].</summary>
    public int Cls { get; }

    /// <summary>Id of [SEP].</summary>
    public int Sep { get; }

    /// <summary>The token ids of <paramref name="text"/>: [CLS], the word pieces, [SEP], at most <see cref="MaxTokens"/>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(32) { Cls };
        var words = 0;
        foreach (var part in text.Split([" ", "   ", "\r\n"], StringSplitOptions.None))
        {
            var start = 0;
            while (start <= part.Length && words < MaxTokens)
            {
                var d = part.AsSpan(start).IndexOfAny(s_delimiters);
                if (d >= 0) d += start;
                if (d < 0)
                {
                    if (start < part.Length)
                    {
                        AddWord(part[start..], ids);
                        words++;
                    }
                    break;
                }
                if (d > start)
                {
                    AddWord(part[start..d], ids);
                    words++;
                    if (words >= MaxTokens) break;
                }
                AddWord(part.Substring(d, 1), ids);
                words++;
                start = d + 1;
            }
            if (words >= MaxTokens) break;
        }
        ids.Add(Sep);
        if (ids.Count > MaxTokens)
            ids.RemoveRange(MaxTokens, ids.Count - MaxTokens);
        return [.. ids];
    }

    private void AddWord(string word, List<int> ids)
    {
        // The package lower-cases each split word with the current culture; invariant is the same for English.
        word = word.ToLowerInvariant();
        if (word.Length > MaxWordLength) return;
        if (_vocabulary.TryGetValue(word, out var id))
        {
            ids.Add(id);
            return;
        }
        var added = 0;
        var text = word;
        while (!string.IsNullOrEmpty(text) && text.Length > 2)
        {
            var min = text.StartsWith("##", StringComparison.Ordinal) ? 2 : 1;
            var found = -1;
            var length = text.Length;
            for (; length >= min; length--)
            {
                if (_vocabulary.TryGetValue(text[..length], out found)) break;
            }
            if (length < min)
            {
                ids.Add(_unknown);
                return;
            }
            var rest = "##" + text[length..];
            if (rest == text)
            {
                ids.Add(_unknown);
                return;
            }
            text = rest;
            ids.Add(found);
            added++;
        }
        if (added == 0 && !string.IsNullOrWhiteSpace(word))
            ids.Add(_unknown);
    }
}
