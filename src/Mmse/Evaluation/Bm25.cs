using Mmse.Data;
using Mmse.Text;

namespace Mmse.Evaluation;

/// <summary>A catalog text field BM25 can index.</summary>
public enum Bm25Field
{
    Title,
    Brand,
    Category,
}

/// <summary>Options of <see cref="Bm25"/>: the Okapi parameters, the fields and their weights.</summary>
public sealed record Bm25Options
{
    /// <summary>Term-frequency saturation. Default 1.2.</summary>
    public double K1 { get; init; } = 1.2;

    /// <summary>Length normalisation (0 none, 1 full). Default 0.75.</summary>
    public double B { get; init; } = 0.75;

    /// <summary>Fields indexed. Default title, brand, category.</summary>
    public IReadOnlyList<Bm25Field> Fields { get; init; } = [Bm25Field.Title, Bm25Field.Brand, Bm25Field.Category];

    /// <summary>Weight of each field's BM25 score, parallel to <see cref="Fields"/>. Default 1, 1, 0.5.</summary>
    public IReadOnlyList<double> FieldWeights { get; init; } = [1.0, 1.0, 0.5];

    /// <summary>Threads of <see cref="Bm25.SearchBatch"/>; 0 = all cores. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Analysis of titles and queries. Default <see cref="TextAnalysis.Plain"/> (lower-case words and
    /// CJK bigrams); <see cref="TextAnalysis.English"/> adds Lucene's English stop words and stemming.
    /// </summary>
    public TextAnalysis Analysis { get; init; } = TextAnalysis.Plain;
}

/// <summary>
/// Okapi BM25 over a catalog: an in-process inverted index per field (tokens from
/// <see cref="LexicalTokenizer"/>: lower-case words and CJK bigrams; or, with
/// <see cref="TextAnalysis.English"/>, from <see cref="EnglishAnalysis"/>), scored as the weighted
/// sum of per-field BM25 with idf = ln(1 + (N - df + 0.5) / (df + 0.5)). Search accumulates
/// scores over the postings of the query's distinct terms into a dense buffer and keeps the
/// top k with a min-heap; ties go to the lower item index, so results are deterministic.
/// The lexical baseline of DESIGN §5.
/// </summary>
public sealed class Bm25
{
    private readonly Dictionary<string, int> _terms;
    private readonly FieldIndex[] _fields;
    private readonly float[] _weights;
    private readonly float _k1;
    private readonly int _threads;
    private readonly TextAnalysis _analysis;

    private sealed class FieldIndex
    {
        public required int[] Offsets;    // [terms + 1]
        public required int[] Items;      // [postings]
        public required float[] Tf;       // [postings]
        public required float[] Norm;     // [items] k1 * (1 - b + b * dl / avgdl)
        public required float[] Idf;      // [terms]
    }

    private Bm25(Dictionary<string, int> terms, FieldIndex[] fields, float[] weights, float k1, int count, int threads, TextAnalysis analysis)
    {
        _analysis = analysis;
        _terms = terms;
        _fields = fields;
        _weights = weights;
        _k1 = k1;
        Count = count;
        _threads = threads;
    }

    /// <summary>Items indexed.</summary>
    public int Count { get; }

    /// <summary>Distinct terms over all fields.</summary>
    public int Terms => _terms.Count;

    /// <summary>Indexes every item of <paramref name="catalog"/>.</summary>
    public static Bm25 Build(Catalog catalog, Bm25Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new Bm25Options();
        if (options.Fields.Count != options.FieldWeights.Count)
            throw new ArgumentException($"'FieldWeights':{options.FieldWeights.Count} must equal 'Fields':{options.Fields.Count}");
        if (options.K1 < 0 || options.B is < 0 or > 1)
            throw new ArgumentException($"k1 {options.K1} must be >= 0 and b {options.B} in [0, 1]");
        var n = catalog.Count;
        var terms = new Dictionary<string, int>(StringComparer.Ordinal);
        var fields = new FieldIndex[options.Fields.Count];
        var tokens = new List<string>();
        var counts = new Dictionary<int, int>();
        for (var f = 0; f < fields.Length; f++)
        {
            var text = options.Fields[f] switch
            {
                Bm25Field.Title => catalog.Titles,
                Bm25Field.Brand => catalog.Brands,
                _ => catalog.Categories,
            };
            // (term, item, tf) per distinct term of each item, then a counting sort by term.
            var postingTerms = new List<int>();
            var postingItems = new List<int>();
            var postingTf = new List<float>();
            var lengths = new float[n];
            for (var i = 0; i < n; i++)
            {
                if (text[i] is not { } s) continue;
                tokens.Clear();
                Tokenize(s, options.Analysis, tokens);
                lengths[i] = tokens.Count;
                counts.Clear();
                foreach (var token in tokens)
                {
                    if (!terms.TryGetValue(token, out var id))
                    {
                        id = terms.Count;
                        terms.Add(token, id);
                    }
                    counts[id] = counts.GetValueOrDefault(id) + 1;
                }
                foreach (var (id, tf) in counts)
                {
                    postingTerms.Add(id);
                    postingItems.Add(i);
                    postingTf.Add(tf);
                }
            }
            fields[f] = Pack(postingTerms, postingItems, postingTf, lengths, n, (float)options.K1, (float)options.B);
        }
        // Terms first seen in a later field have no postings in earlier ones: widen every field's offsets.
        for (var f = 0; f < fields.Length; f++)
            fields[f] = Widen(fields[f], terms.Count, n);
        return new Bm25(terms, fields, [.. options.FieldWeights.Select(w => (float)w)], (float)options.K1, n,
            options.Threads > 0 ? options.Threads : Environment.ProcessorCount, options.Analysis);
    }

    private static FieldIndex Pack(List<int> postingTerms, List<int> postingItems, List<float> postingTf, float[] lengths, int n, float k1, float b)
    {
        var termCount = postingTerms.Count == 0 ? 0 : postingTerms.Max() + 1;
        var offsets = new int[termCount + 1];
        foreach (var t in postingTerms) offsets[t + 1]++;
        for (var t = 0; t < termCount; t++) offsets[t + 1] += offsets[t];
        var items = new int[postingTerms.Count];
        var tf = new float[postingTerms.Count];
        var next = offsets[..^1].ToArray();
        // Postings are appended in item order, so each term's list stays sorted by item.
        for (var p = 0; p < postingTerms.Count; p++)
        {
            var slot = next[postingTerms[p]]++;
            items[slot] = postingItems[p];
            tf[slot] = postingTf[p];
        }
        var average = n == 0 ? 0 : lengths.Average();
        var norm = new float[n];
        for (var i = 0; i < n; i++)
            norm[i] = average > 0 ? k1 * (1 - b + b * lengths[i] / average) : k1;
        return new FieldIndex { Offsets = offsets, Items = items, Tf = tf, Norm = norm, Idf = [] };
    }

    private static FieldIndex Widen(FieldIndex field, int terms, int n)
    {
        var offsets = new int[terms + 1];
        Array.Copy(field.Offsets, offsets, field.Offsets.Length);
        for (var t = field.Offsets.Length; t <= terms; t++) offsets[t] = field.Offsets[^1];
        var idf = new float[terms];
        for (var t = 0; t < terms; t++)
        {
            var df = offsets[t + 1] - offsets[t];
            idf[t] = (float)Math.Log(1 + (n - df + 0.5) / (df + 0.5));
        }
        return new FieldIndex { Offsets = offsets, Items = field.Items, Tf = field.Tf, Norm = field.Norm, Idf = idf };
    }

    /// <summary>The tokens BM25 indexes for <paramref name="text"/> under <paramref name="analysis"/>.</summary>
    public static List<string> Tokenize(string text, TextAnalysis analysis)
    {
        var tokens = new List<string>();
        Tokenize(text, analysis, tokens);
        return tokens;
    }

    private static void Tokenize(string text, TextAnalysis analysis, List<string> tokens)
    {
        if (analysis == TextAnalysis.English)
            EnglishAnalysis.Tokenize(text, tokens);
        else
            LexicalTokenizer.Tokenize(text, tokens);
    }

    /// <summary>The query's distinct known term ids.</summary>
    private int[] QueryTerms(string query)
    {
        var ids = new List<int>();
        foreach (var token in Tokenize(query, _analysis))
        {
            if (_terms.TryGetValue(token, out var id) && !ids.Contains(id)) ids.Add(id);
        }
        return [.. ids];
    }

    /// <summary>The top <paramref name="k"/> items for a query, best first (fewer when fewer items match).</summary>
    public (int Item, float Score)[] Search(string query, int k)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var scratch = new Scratch(Count);
        return Search(query, k, scratch);
    }

    /// <summary>Searches many queries on all threads; result q belongs to query q.</summary>
    public (int Item, float Score)[][] SearchBatch(IReadOnlyList<string> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var results = new (int, float)[queries.Count][];
        Parallel.For(0, queries.Count, new ParallelOptions { MaxDegreeOfParallelism = _threads },
            () => new Scratch(Count),
            (q, _, scratch) =>
            {
                results[q] = Search(queries[q], k, scratch);
                return scratch;
            },
            _ => { });
        return results;
    }

    private sealed class Scratch(int n)
    {
        public readonly float[] Scores = new float[n];
        public readonly bool[] Touched = new bool[n];
        public readonly List<int> Items = [];
    }

    private (int Item, float Score)[] Search(string query, int k, Scratch scratch)
    {
        var terms = QueryTerms(query);
        var scores = scratch.Scores;
        var touched = scratch.Items;
        touched.Clear();
        for (var f = 0; f < _fields.Length; f++)
        {
            var field = _fields[f];
            foreach (var t in terms)
            {
                var weight = _weights[f] * field.Idf[t] * (_k1 + 1);
                for (var p = field.Offsets[t]; p < field.Offsets[t + 1]; p++)
                {
                    var item = field.Items[p];
                    var tf = field.Tf[p];
                    if (!scratch.Touched[item])
                    {
                        scratch.Touched[item] = true;
                        touched.Add(item);
                    }
                    scores[item] += weight * tf / (tf + field.Norm[item]);
                }
            }
        }
        var result = TopK(scores, touched, k);
        foreach (var item in touched)
        {
            scores[item] = 0;
            scratch.Touched[item] = false;
        }
        return result;
    }

    /// <summary>Min-heap of the best k (root = worst kept); "better" = higher score, then lower index.</summary>
    private static (int Item, float Score)[] TopK(float[] scores, List<int> candidates, int k)
    {
        if (k == 0 || candidates.Count == 0) return [];
        var heap = new (int Item, float Score)[Math.Min(k, candidates.Count)];
        var size = 0;
        static bool Better((int Item, float Score) a, (int Item, float Score) b) =>
            a.Score > b.Score || (a.Score == b.Score && a.Item < b.Item);
        foreach (var item in candidates)
        {
            var entry = (item, scores[item]);
            if (size < heap.Length)
            {
                // Sift up: a worse entry moves towards the root.
                var i = size++;
                while (i > 0)
                {
                    var parent = (i - 1) / 2;
                    if (!Better(heap[parent], entry)) break;
                    heap[i] = heap[parent];
                    i = parent;
                }
                heap[i] = entry;
            }
            else if (Better(entry, heap[0]))
            {
                var i = 0;
                while (true)
                {
                    var child = 2 * i + 1;
                    if (child >= size) break;
                    if (child + 1 < size && Better(heap[child], heap[child + 1])) child++;
                    if (!Better(entry, heap[child])) break;
                    heap[i] = heap[child];
                    i = child;
                }
                heap[i] = entry;
            }
        }
        Array.Sort(heap, 0, size, Comparer<(int Item, float Score)>.Create((a, b) => Better(a, b) ? -1 : Better(b, a) ? 1 : 0));
        return heap;
    }

    /// <summary>
    /// Reference: the score of every item, term by term and field by field straight from the
    /// formula (no index). Tests hold <see cref="Search(string, int)"/> to it.
    /// </summary>
    public static double[] ScoreAllReference(Catalog catalog, string query, Bm25Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(query);
        options ??= new Bm25Options();
        var n = catalog.Count;
        var scores = new double[n];
        var queryTerms = Tokenize(query, options.Analysis).Distinct(StringComparer.Ordinal).ToArray();
        for (var f = 0; f < options.Fields.Count; f++)
        {
            var text = options.Fields[f] switch
            {
                Bm25Field.Title => catalog.Titles,
                Bm25Field.Brand => catalog.Brands,
                _ => catalog.Categories,
            };
            var docs = text.Select(s => s is null ? [] : Tokenize(s, options.Analysis)).ToArray();
            var average = n == 0 ? 0 : docs.Average(d => (double)d.Count);
            foreach (var term in queryTerms)
            {
                var df = docs.Count(d => d.Contains(term));
                var idf = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
                for (var i = 0; i < n; i++)
                {
                    var tf = docs[i].Count(t => t == term);
                    if (tf == 0) continue;
                    var norm = options.K1 * (1 - options.B + options.B * docs[i].Count / average);
                    scores[i] += options.FieldWeights[f] * idf * tf * (options.K1 + 1) / (tf + norm);
                }
            }
        }
        return scores;
    }
}
