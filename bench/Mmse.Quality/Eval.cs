using System.Diagnostics;
using System.Numerics.Tensors;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Text;

namespace Mmse.Quality;

/// <summary>
/// DESIGN §8 metrics on the validation part, exact search over the whole catalog, for plain and
/// English BM25 (titles only), the zero-shot backbones (vectors from <c>encode</c>) and their
/// reciprocal-rank fusion: at k 60, and weighted with k and the lexical weight tuned on the
/// tuning part (recall_order@100).
/// </summary>
internal static class Eval
{
    private const int Depth = RetrievalMetrics.Depth;

    public static void Run(string dataDir, string work)
    {
        var data = RealData.Load(dataDir);
        var validation = data.Requests.Where(r => r.Part == RealData.Validation).ToArray();
        var tune = data.Requests.Where(r => r.Part == RealData.Tune).ToArray();
        Console.WriteLine($"requests: {data.Requests.Length} (train {data.Requests.Count(r => r.Part == RealData.Train)}, tune {tune.Length}, validation {validation.Length}); items {data.Catalog.Count}");
        var rows = new List<(string Name, Dictionary<string, double> Metrics)>();
        var lists = new Dictionary<string, (int[][] Tune, int[][] Validation)>();

        foreach (var analysis in new[] { TextAnalysis.Plain, TextAnalysis.English })
        {
            var clock = Stopwatch.StartNew();
            var bm25 = Bm25.Build(data.Catalog, new Bm25Options { Fields = [Bm25Field.Title], FieldWeights = [1.0], Analysis = analysis });
            int[][] Search(Request[] rs) => [.. bm25.SearchBatch([.. rs.Select(r => r.Query)], Depth).Select(l => l.Select(x => x.Item).ToArray())];
            var name = $"BM25 {analysis.ToString().ToLowerInvariant()}";
            lists[name] = (Search(tune), Search(validation));
            rows.Add((name, Score(validation, lists[name].Validation)));
            if (analysis == TextAnalysis.English)
            {
                // Every request's lexical list, for the fusion experiments of the research scripts.
                var all = Search(data.Requests);
                using var writer = new BinaryWriter(File.Create(Path.Combine(work, "bm25-english.ivecs")));
                foreach (var list in all)
                {
                    writer.Write(list.Length);
                    foreach (var item in list) writer.Write(item);
                }
            }
            Console.WriteLine($"{name}: {clock.Elapsed.TotalSeconds:F1} s");
        }

        var queryIndex = data.Requests.Select((r, i) => (r, i)).ToDictionary(p => p.r, p => p.i);
        foreach (var backbone in new[] { "minilm", "arctic-xs", "arctic-xs-int8", "arctic-xs-noprefix" })
        {
            var itemsPath = Path.Combine(work, backbone + "-items.fvecs");
            if (!File.Exists(itemsPath))
            {
                Console.WriteLine($"{backbone}: no vectors (run encode first)");
                continue;
            }
            var items = Vectors.ReadFvecs(itemsPath, out var n, out var dim);
            var queries = Vectors.ReadFvecs(Path.Combine(work, backbone + "-queries.fvecs"), out _, out _);
            int[][] Search(Request[] rs) => Exact(items, n, dim, [.. rs.Select(r => queries.AsMemory(queryIndex[r] * dim, dim))]);
            lists[backbone] = (Search(tune), Search(validation));
            rows.Add(($"{backbone} zero-shot", Score(validation, lists[backbone].Validation)));
        }

        if (lists.TryGetValue("arctic-xs", out var dense))
        {
            var lexical = lists["BM25 english"];
            rows.Add(("RRF k 60: arctic-xs + BM25 english", Score(validation, Fuse(dense.Validation, lexical.Validation, 60, 1))));
            var best = (K: 60, W: 1.0, Recall: -1.0);
            foreach (var k in new[] { 5, 10, 20, 40, 60, 100, 200 })
                foreach (var w in new[] { 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0 })
                {
                    var recall = Score(tune, Fuse(dense.Tune, lexical.Tune, k, w))["recall_order@100"];
                    if (recall > best.Recall) best = (k, w, recall);
                }
            rows.Add(($"RRF tuned (k {best.K}, BM25 weight {best.W}): arctic-xs + BM25 english", Score(validation, Fuse(dense.Validation, lexical.Validation, best.K, best.W))));
        }

        var table = new List<string>
        {
            $"| system (validation, {validation.Length} requests) | recall_order@100 | recall_order@10 | ndcg@10 | recall_order@1000 | recall_click@100 |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        };
        foreach (var (name, m) in rows)
            table.Add($"| {name} | {m["recall_order@100"]:F3} | {m["recall_order@10"]:F3} | {m["ndcg@10"]:F3} | {m["recall_order@1000"]:F3} | {m["recall_click@100"]:F3} |");
        File.WriteAllLines(Path.Combine(work, "eval.md"), table);
        table.ForEach(Console.WriteLine);
    }

    public static Dictionary<string, double> Score(Request[] requests, int[][] ranked)
    {
        var accumulator = new MetricsAccumulator();
        Span<double> values = stackalloc double[RetrievalMetrics.Count];
        for (var q = 0; q < requests.Length; q++)
        {
            RetrievalMetrics.Compute(ranked[q], requests[q].Items, requests[q].Actions, values);
            accumulator.Add(values);
        }
        return accumulator.Averages();
    }

    /// <summary>Weighted reciprocal-rank fusion: 1/(k + rank) for the dense list plus w/(k + rank) for the lexical one; ties to the lower item.</summary>
    public static int[][] Fuse(int[][] dense, int[][] lexical, int k, double w)
    {
        var result = new int[dense.Length][];
        for (var q = 0; q < dense.Length; q++)
        {
            var scores = new Dictionary<int, double>();
            for (var r = 0; r < dense[q].Length; r++)
                scores[dense[q][r]] = scores.GetValueOrDefault(dense[q][r]) + 1.0 / (k + r + 1);
            for (var r = 0; r < lexical[q].Length; r++)
                scores[lexical[q][r]] = scores.GetValueOrDefault(lexical[q][r]) + w / (k + r + 1);
            result[q] = [.. scores.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(Depth).Select(p => p.Key)];
        }
        return result;
    }

    /// <summary>Exact inner-product top <see cref="Depth"/> for each query; ties go to the lower item index.</summary>
    public static int[][] Exact(float[] items, int n, int dim, ReadOnlyMemory<float>[] queries)
    {
        var result = new int[queries.Length][];
        Parallel.For(0, queries.Length, () => new float[n], (q, _, scores) =>
        {
            var query = queries[q].Span;
            for (var i = 0; i < n; i++)
                scores[i] = TensorPrimitives.Dot(query, items.AsSpan(i * dim, dim));
            result[q] = TopK(scores, Depth);
            return scores;
        }, _ => { });
        return result;
    }

    public static int[] TopK(float[] scores, int k)
    {
        var heap = new PriorityQueue<int, (float, int)>(k + 1, Comparer<(float Score, int Item)>.Create((a, b) =>
            a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Item.CompareTo(a.Item)));
        for (var i = 0; i < scores.Length; i++)
        {
            if (heap.Count < k) heap.Enqueue(i, (scores[i], i));
            else if (heap.TryPeek(out _, out var worst) && (scores[i] > worst.Item1 || (scores[i] == worst.Item1 && i < worst.Item2)))
                heap.EnqueueDequeue(i, (scores[i], i));
        }
        var top = new int[heap.Count];
        for (var r = top.Length - 1; r >= 0; r--)
            top[r] = heap.Dequeue();
        return top;
    }
}
