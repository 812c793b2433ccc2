using System.Numerics.Tensors;
using Mmse.Text;

namespace Mmse.Retrieval;

/// <summary>Options of <see cref="HashingQueryEncoder"/>.</summary>
public sealed record HashingEncoderOptions
{
    /// <summary>Vector length (default 128).</summary>
    public int Dim { get; init; } = 128;

    /// <summary>Post-fusion temperature (default 0.1, as DESIGN §4).</summary>
    public float Beta { get; init; } = 0.1f;

    /// <summary>Hash seed (default fixed, so vectors are the same on every machine).</summary>
    public ulong Seed { get; init; } = 0x6D6D_7365_5345_5256;
}

/// <summary>
/// A deterministic, untrained encoder: tokens are hashed with a random sign into a d-vector
/// (the "hashing trick"), so texts that share tokens have a positive cosine. Two heads with
/// different views of the query: head 0 hashes whole words, head 1 character trigrams of
/// <c>#word#</c> (so it still matches a misspelt or partial word). An item is one vector
/// holding both (each half of its weight). It stands in for the trained model in tests, benchmarks and demos, and is a
/// fair lexical baseline; it is not MMSE's model.
/// </summary>
public sealed class HashingQueryEncoder : IQueryEncoder
{
    private readonly HashingEncoderOptions _options;

    public HashingQueryEncoder(HashingEncoderOptions? options = null)
    {
        _options = options ?? new HashingEncoderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Dim, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.Beta);
    }

    public int Heads => 2;

    public int Dim => _options.Dim;

    public float Beta => _options.Beta;

    public string Version => $"hashing-v1-d{Dim}";

    /// <inheritdoc/>
    public void EncodeQuery(string text, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (destination.Length != Heads * Dim)
            throw new ArgumentException($"'destination':{destination.Length} must equal heads x dim = {Heads * Dim}");
        destination.Clear();
        var words = destination[..Dim];
        var trigrams = destination[Dim..];
        AddText(QueryNormalizer.Normalize(text), words, trigrams);
        Normalize(words);
        Normalize(trigrams);
    }

    /// <summary>
    /// Writes an item's vector [Dim] from its text fields: the word part and the trigram part are
    /// each L2-normalised, then summed and normalised, so both heads see half the item's weight.
    /// </summary>
    public void EncodeItem(string title, string? brand, string? category, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(title);
        if (destination.Length != Dim)
            throw new ArgumentException($"'destination':{destination.Length} must equal dim {Dim}");
        var trigrams = Dim <= 1024 ? stackalloc float[Dim] : new float[Dim];
        trigrams.Clear();
        destination.Clear();
        AddText(QueryNormalizer.Normalize(title), destination, trigrams);
        if (brand is not null)
            AddText(QueryNormalizer.Normalize(brand), destination, trigrams);
        if (category is not null)
            AddText(QueryNormalizer.Normalize(category.Replace('>', ' ')), destination, trigrams);
        Normalize(destination);
        Normalize(trigrams);
        TensorPrimitives.Add(destination, trigrams, destination);
        Normalize(destination);
    }

    private void AddText(string text, Span<float> words, Span<float> trigrams)
    {
        Span<char> padded = stackalloc char[66];
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsLetterOrDigit(text[i]))
                i++;
            var start = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
                i++;
            if (i == start)
                continue;
            var word = text.AsSpan(start, Math.Min(i - start, 64));
            Add(words, Hash(word, _options.Seed));
            padded[0] = '#';
            word.CopyTo(padded[1..]);
            padded[word.Length + 1] = '#';
            var p = padded[..(word.Length + 2)];
            for (var t = 0; t + 3 <= p.Length; t++)
                Add(trigrams, Hash(p.Slice(t, 3), _options.Seed ^ 0x9E37_79B9_7F4A_7C15));
        }
    }

    private static void Add(Span<float> vector, ulong hash)
    {
        var bucket = (int)(hash % (ulong)vector.Length);
        vector[bucket] += (hash >> 63) == 0 ? 1f : -1f;
    }

    private static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
            TensorPrimitives.Divide(vector, norm, vector);
    }

    // FNV-1a over the UTF-16 code units, then the SplitMix64 finaliser so low bits mix well.
    private static ulong Hash(ReadOnlySpan<char> token, ulong seed)
    {
        var h = 0xCBF2_9CE4_8422_2325UL ^ seed;
        foreach (var c in token)
        {
            h ^= c;
            h *= 0x0000_0100_0000_01B3UL;
        }
        h ^= h >> 30;
        h *= 0xBF58_476D_1CE4_E5B9UL;
        h ^= h >> 27;
        h *= 0x94D0_49BB_1331_11EBUL;
        return h ^ (h >> 31);
    }
}
