using System.Diagnostics;
using System.Runtime.Intrinsics;
using Mmse.Data;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Evaluation;

/// <summary>The §8 metrics of one evaluation: macro averages and per-request values (for significance tests).</summary>
public sealed record EvaluationResult(
    int Requests,
    IReadOnlyDictionary<string, double> Metrics,
    double[][] PerRequest,
    double Seconds,
    double QueriesPerSecond);

/// <summary>
/// Exact (brute-force) retrieval over a whole catalog with the model's fused score, and the §8
/// evaluation on a log. Items are kept transposed ([Dim, N]) so a block of queries is scored
/// against a block of items by one register-blocked matrix product; top-k uses a bounded heap
/// and skips an item without computing the fusion when its best head cannot beat the heap's
/// worst (the fused score never exceeds the largest head cosine).
/// </summary>
public sealed class ExactEvaluator
{
    private const int QueryBlock = 32;
    private const int ItemBlock = 1024;
    private readonly float[] _panels; // per block of ItemBlock items, a contiguous [Dim, nb] transposed panel
    private readonly int _threads;

    public ExactEvaluator(MmseModel model, float[] items, int count, int threads = 0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentNullException.ThrowIfNull(items);
        if (items.Length < (long)count * model.Dim)
            throw new ArgumentException($"'items':{items.Length} must hold {count} x {model.Dim}");
        Count = count;
        _threads = Parallel2.Resolve(threads);
        // Panels keep every row of B in the product contiguous and close (a [Dim, N] transpose would
        // put consecutive rows N floats apart and miss the TLB and prefetcher on every step).
        _panels = new float[(long)count * model.Dim];
        for (var j0 = 0; j0 < count; j0 += ItemBlock)
        {
            var nb = Math.Min(ItemBlock, count - j0);
            Gemm.Transpose(nb, model.Dim, items.AsSpan(j0 * model.Dim, nb * model.Dim), _panels.AsSpan(j0 * model.Dim, nb * model.Dim));
        }
    }

    /// <summary>Embeds the catalog with the model and indexes it.</summary>
    public static ExactEvaluator Create(MmseModel model, Catalog catalog, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(catalog);
        return new ExactEvaluator(model, model.EncodeItems(catalog, threads), catalog.Count, threads);
    }

    public MmseModel Model { get; }

    /// <summary>Items searched.</summary>
    public int Count { get; }

    /// <summary>Exact top-k items for query heads [Heads*Dim], best first (ties: lower index first).</summary>
    public (int[] Items, float[] Scores) Search(ReadOnlySpan<float> queryHeads, int k)
    {
        var kd = Model.Heads * Model.Dim;
        if (queryHeads.Length < kd)
            throw new ArgumentException($"'queryHeads':{queryHeads.Length} must hold {kd}");
        var result = SearchMany(queryHeads[..kd].ToArray(), 1, k, 1);
        return result[0];
    }

    /// <summary>Exact top-k for many queries [count, Heads*Dim], in parallel over query blocks.</summary>
    public (int[] Items, float[] Scores)[] SearchMany(float[] queryHeads, int queries, int k, int threads = 0,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(queryHeads);
        k = Math.Min(Math.Max(k, 0), Count);
        var results = new (int[] Items, float[] Scores)[queries];
        int d = Model.Dim, kd = Model.Heads * d, kq = Model.ScoringHeads;
        var blocks = (queries + QueryBlock - 1) / QueryBlock;
        var done = 0;
        Parallel2.For(blocks, threads <= 0 ? _threads : threads, 1, (from, to) =>
        {
            var qs = new float[QueryBlock * kq * d];
            var z = new float[QueryBlock * kq * ItemBlock];
            var heaps = new TopK[QueryBlock];
            for (var i = 0; i < QueryBlock; i++)
                heaps[i] = new TopK(k);
            Span<float> zk = stackalloc float[kq];
            for (var block = from; block < to; block++)
            {
                cancellation.ThrowIfCancellationRequested();
                var q0 = block * QueryBlock;
                var nq = Math.Min(QueryBlock, queries - q0);
                for (var q = 0; q < nq; q++)
                {
                    Model.ScoringQuery(queryHeads.AsSpan((q0 + q) * kd, kd), qs.AsSpan(q * kq * d, kq * d));
                    heaps[q].Clear();
                }
                var m = nq * kq;
                for (var j0 = 0; j0 < Count; j0 += ItemBlock)
                {
                    var nb = Math.Min(ItemBlock, Count - j0);
                    Gemm.Multiply(m, nb, d, qs, d, 1, _panels.AsSpan(j0 * d, nb * d), nb, z, nb, accumulate: false);
                    for (var q = 0; q < nq; q++)
                    {
                        var heap = heaps[q];
                        if (kq == 1)
                        {
                            var row = z.AsSpan(q * nb, nb);
                            for (var x = 0; x < nb; x++)
                            {
                                if (row[x] >= heap.Threshold)
                                    heap.Push(row[x], j0 + x);
                            }
                            continue;
                        }
                        var j = 0;
                        if (kq == 2 && Vector256.IsHardwareAccelerated)
                        {
                            // Eight items at a time: skip them unless one's best head reaches the heap's threshold.
                            var z0 = z.AsSpan(q * 2 * nb, nb);
                            var z1 = z.AsSpan((q * 2 + 1) * nb, nb);
                            for (; j + 8 <= nb; j += 8)
                            {
                                var best8 = Vector256.Max(Vector256.Create<float>(z0[j..]), Vector256.Create<float>(z1[j..]));
                                if (Vector256.GreaterThanOrEqualAny(best8, Vector256.Create(heap.Threshold)))
                                {
                                    for (var x = j; x < j + 8; x++)
                                        Offer(heap, z, q, kq, nb, x, j0, zk);
                                }
                            }
                        }
                        for (; j < nb; j++)
                            Offer(heap, z, q, kq, nb, j, j0, zk);
                    }
                }
                for (var q = 0; q < nq; q++)
                    results[q0 + q] = heaps[q].Sorted();
                var total = Interlocked.Add(ref done, nq);
                progress?.Invoke(total);
            }
        });
        return results;
    }

    private void Offer(TopK heap, float[] z, int q, int kq, int nb, int j, int j0, Span<float> zk)
    {
        var best = float.NegativeInfinity;
        for (var h = 0; h < kq; h++)
        {
            zk[h] = z[((q * kq) + h) * nb + j];
            best = MathF.Max(best, zk[h]);
        }
        if (best >= heap.Threshold)
            heap.Push(PostFusion.Fuse(zk, Model.Beta), j0 + j);
    }

    /// <summary>
    /// The §8 metrics of <paramref name="log"/> (requests' items are dense catalog indices, in the
    /// same catalog the evaluator searches), with exact top-1000 retrieval over every item.
    /// </summary>
    public EvaluationResult Evaluate(SearchLog log, ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        var heads = Model.EncodeQueries(log.Queries, _threads);
        var ranked = SearchMany(heads, log.Count, RetrievalMetrics.Depth, _threads,
            done => progress?.Report(done, log.Count, $"{done / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} queries/s"),
            cancellation);
        var perRequest = new double[log.Count][];
        var accumulator = new MetricsAccumulator();
        for (var r = 0; r < log.Count; r++)
        {
            perRequest[r] = new double[RetrievalMetrics.Count];
            RetrievalMetrics.Compute(ranked[r].Items, log.ItemsOf(r), log.ActionsOf(r), perRequest[r]);
            accumulator.Add(perRequest[r]);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new EvaluationResult((int)accumulator.Requests, accumulator.Averages(), perRequest, seconds, log.Count / Math.Max(1e-9, seconds));
    }

    /// <summary>Bounded min-heap of the best k (score, item): the root is the worst kept.</summary>
    private sealed class TopK(int capacity)
    {
        private readonly float[] _scores = new float[Math.Max(1, capacity)];
        private readonly int[] _items = new int[Math.Max(1, capacity)];
        private int _count;

        /// <summary>Scores below this cannot enter (−inf until full).</summary>
        public float Threshold => _count < capacity ? float.NegativeInfinity : _scores[0];

        public void Clear() => _count = 0;

        // "a worse than b": lower score, or equal score and higher item index.
        private bool Worse(int a, int b) => _scores[a] < _scores[b] || (_scores[a] == _scores[b] && _items[a] > _items[b]);

        public void Push(float score, int item)
        {
            if (capacity == 0)
                return;
            if (_count < capacity)
            {
                _scores[_count] = score;
                _items[_count] = item;
                var i = _count++;
                while (i > 0)
                {
                    var parent = (i - 1) / 2;
                    if (!Worse(i, parent)) break;
                    Swap(i, parent);
                    i = parent;
                }
                return;
            }
            // Equal score with the root: keep the lower index (items arrive in increasing index, so the root wins).
            if (score <= _scores[0])
                return;
            _scores[0] = score;
            _items[0] = item;
            var j = 0;
            while (true)
            {
                int l = 2 * j + 1, r = l + 1, w = j;
                if (l < _count && Worse(l, w)) w = l;
                if (r < _count && Worse(r, w)) w = r;
                if (w == j) break;
                Swap(j, w);
                j = w;
            }
        }

        private void Swap(int a, int b)
        {
            (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
            (_items[a], _items[b]) = (_items[b], _items[a]);
        }

        public (int[] Items, float[] Scores) Sorted()
        {
            var order = Enumerable.Range(0, _count).ToArray();
            Array.Sort(order, (a, b) =>
            {
                var c = _scores[b].CompareTo(_scores[a]);
                return c != 0 ? c : _items[a].CompareTo(_items[b]);
            });
            return ([.. order.Select(i => _items[i])], [.. order.Select(i => _scores[i])]);
        }
    }
}
