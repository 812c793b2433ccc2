using Mmse.Numerics;

namespace Mmse.Index;

// Single-vector search: greedy descent, the layer search, filtered walk or exact scan (the cost estimate), int8 traversal with exact re-scoring.
public sealed unsafe partial class HnswIndex
{
    /// <summary>Greedy walk on one layer: move to the best neighbour while it improves (ef = 1).</summary>
    private void Greedy<TScorer>(ref TScorer scorer, ref int ep, ref float epScore, int level, bool locked, Searcher s)
        where TScorer : struct, IScorer
    {
        var count = _count;
        fixed (int* copy = s.Links)
        {
            var changed = true;
            while (changed)
            {
                changed = false;
                if (level > _levels[ep])
                    return;
                var list = ReadLinks(ep, level, locked, copy, out var n);
                for (var j = 0; j < n; j++)
                {
                    var c = list[j];
                    if ((uint)c >= (uint)count)
                        continue;
                    var score = scorer.Score(c);
                    if (score > epScore)
                    {
                        epScore = score;
                        ep = c;
                        changed = true;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The paper's SEARCH-LAYER: best-first expansion keeping the ef best in s.Results. Nodes
    /// that are deleted or outside <paramref name="filter"/> are walked through but never become
    /// results, so filtering happens during the traversal. More entry points in
    /// <paramref name="seeds"/> are scored and enqueued with the entry (the fused walk starts
    /// from every head's own entry).
    /// </summary>
    /// <returns>False when the walk scored more than <paramref name="budget"/> nodes and gave up (results incomplete).</returns>
    private bool SearchLayer<TScorer>(
        ref TScorer scorer, Searcher s, int entry, float entryScore, int level, int ef,
        AllowedSet? filter, byte* deleted, bool locked, long budget = long.MaxValue, ReadOnlySpan<int> seeds = default)
        where TScorer : struct, IScorer
    {
        long scored = 0;
        var generation = s.NextGeneration(_capacity);
        var candidates = s.Candidates;
        var results = s.Results;
        candidates.Clear();
        results.Clear();
        var count = _count;
        fixed (int* visited = s.Visited)
        fixed (int* copy = s.Links)
        fixed (int* pending = s.Pending)
        {
            visited[entry] = generation;
            candidates.Push(-entryScore, entry);
            if ((deleted == null || deleted[entry] == 0) && (filter is null || filter.Contains(entry)))
                results.Push(entryScore, entry);
            foreach (var seed in seeds)
            {
                if (visited[seed] == generation)
                    continue;
                visited[seed] = generation;
                var seedScore = scorer.Score(seed);
                candidates.Push(-seedScore, seed);
                if ((deleted == null || deleted[seed] == 0) && (filter is null || filter.Contains(seed)))
                {
                    results.Push(seedScore, seed);
                    if (results.Count > ef)
                        results.Pop();
                }
            }
            while (candidates.Count > 0)
            {
                var score = -candidates.TopScore;
                var node = candidates.TopNode;
                if (results.Count >= ef && score < results.TopScore)
                    break;
                candidates.Pop();
                var list = ReadLinks(node, level, locked, copy, out var n);
                // Mark the unvisited neighbours and prefetch all their vectors first, then score:
                // the memory loads overlap instead of one miss per dot product.
                var fresh = 0;
                for (var j = 0; j < n; j++)
                {
                    var c = list[j];
                    if ((uint)c >= (uint)count || visited[c] == generation)
                        continue;
                    visited[c] = generation;
                    pending[fresh++] = c;
                    scorer.Prefetch(c);
                }
                scored += fresh;
                if (scored > budget)
                    return false;
                for (var j = 0; j < fresh; j++)
                {
                    var c = pending[j];
                    var cs = scorer.Score(c);
                    if (results.Count < ef || cs > results.TopScore)
                    {
                        candidates.Push(-cs, c);
                        if ((deleted == null || deleted[c] == 0) && (filter is null || filter.Contains(c)))
                        {
                            results.Push(cs, c);
                            if (results.Count > ef)
                                results.Pop();
                        }
                    }
                }
            }
        }
        return true;
    }

    /// <summary>
    /// The k items with the highest inner product with <paramref name="query"/> [dim] (expected
    /// unit length), best first. ef &lt;= 0 uses <see cref="HnswOptions.EfSearch"/>; it is raised to k.
    /// </summary>
    public IndexHit[] Search(ReadOnlySpan<float> query, int k, int ef = 0, AllowedSet? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckQuery(query.Length, 1);
        using var lease = new SearchLease(this);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var s = lease.Searcher;
        int n;
        fixed (float* q = query)
            n = SearchCore(q, k, EffectiveEf(ef, k), filter, s);
        // Ids are read under the same lock, so a concurrent compaction cannot renumber them.
        var hits = new IndexHit[n];
        for (var i = 0; i < n; i++)
            hits[i] = new IndexHit(s.OutNodes[i], IdAtUnlocked(s.OutNodes[i]), s.OutScores[i]);
        return hits;
    }

    /// <summary>
    /// Allocation-free search: writes up to k positions and scores best first; returns how many.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int k, int ef, AllowedSet? filter, Span<int> positions, Span<float> scores)
    {
        CheckQuery(query.Length, 1);
        if (positions.Length < k || scores.Length < k)
            throw new ArgumentException($"'positions' and 'scores' must hold k={k} values");
        using var lease = new SearchLease(this);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var s = lease.Searcher;
        int n;
        fixed (float* q = query)
            n = SearchCore(q, k, EffectiveEf(ef, k), filter, s);
        s.OutNodes.AsSpan(0, n).CopyTo(positions);
        s.OutScores.AsSpan(0, n).CopyTo(scores);
        return n;
    }

    private int EffectiveEf(int ef, int k) => Math.Max(ef > 0 ? ef : _options.EfSearch, k);

    /// <summary>
    /// What one score of the graph walk costs relative to one dot product of the exact scan over
    /// an allowed set (default <see cref="DefaultWalkScoreCost"/>): the walk reads a random node
    /// (a cache miss on its codes and its links), stamps it visited and pushes heaps; the scan
    /// streams through the allowed vectors in position order.
    /// </summary>
    internal double WalkScoreCost { get; set; } = DefaultWalkScoreCost;

    /// <summary>A filtered walk gives up after this many times the scores the exact scan would take (default 2).</summary>
    internal double WalkBudgetFactor { get; set; } = 2;

    /// <summary>Filtered walks that ran over their budget and were answered by the exact scan instead.</summary>
    internal long WalkFallbacks => Interlocked.Read(ref _walkFallbacks);

    private long _walkFallbacks;

    /// <summary>The estimate behind <see cref="WalkScoreCost"/> (docs/index.md, "Filtered search").</summary>
    internal const double DefaultWalkScoreCost = 4;

    /// <summary>
    /// Exact search over the allowed set when it is expected to cost less than the graph walk.
    /// The layer-0 walk keeps expanding until ef allowed results turn up, scoring up to M0 new
    /// neighbours per expansion, and only a fraction s = allowed / count of what it meets is
    /// allowed: about ef * M0 / s scores, each <see cref="WalkScoreCost"/> dot products. The scan
    /// costs one dot product per allowed item. The switch lands at s = sqrt(cost * ef * M0 / count):
    /// about 9 % at 1M items with ef 64 and M 16, 13 % for a multi-head search's int8 walk (it
    /// keeps 2 ef candidates). <see cref="HnswOptions.ExactFilterFraction"/> and allowed &lt;= ef
    /// stay as floors.
    /// </summary>
    private bool UseExactFilter(AllowedSet? filter, int ef, int k)
    {
        if (filter is null)
            return false;
        double allowed = filter.AllowedCount;
        if (allowed <= ef || allowed < _options.ExactFilterFraction * _count)
            return true;
        // The int8 walk keeps at least 2k candidates for its re-scoring (SearchCore).
        var walkEf = _codes == null ? ef : Math.Max(ef, 2 * k);
        return ExactIsCheaper(allowed, _count, walkEf, _m0, WalkScoreCost);
    }

    /// <summary>The cost comparison of <see cref="UseExactFilter"/>: scan of <paramref name="allowed"/> vs a walk at selectivity allowed / count.</summary>
    internal static bool ExactIsCheaper(double allowed, int count, int ef, int m0, double walkScoreCost) =>
        allowed <= walkScoreCost * ef * m0 * count / allowed;

    /// <summary>
    /// Scores a filtered walk may spend before it gives up for the exact scan: the expected walk
    /// is cheaper than the scan, but a filter that excludes the query's whole neighbourhood makes
    /// the walk cross most of the graph (the 60 to 220 ms of a 9 % filter at 1M items); the budget
    /// bounds that case at (1 + <see cref="WalkBudgetFactor"/>) times the scan.
    /// </summary>
    private long WalkBudget(AllowedSet? filter) =>
        filter is null ? long.MaxValue : (long)Math.Min(long.MaxValue / 2, WalkBudgetFactor * filter.AllowedCount / WalkScoreCost);

    private void CheckQuery(int length, int heads)
    {
        if (heads < 1 || length != (long)heads * _dim)
            throw new ArgumentException($"'query':{length} values must equal {heads} x the index's dimension {_dim}");
    }

    private Searcher Rent()
    {
        if (!_searchers.TryTake(out var s))
            s = NewSearcher();
        return s;
    }

    /// <summary>
    /// One query's hold on the index: the read lock (so a concurrent add, delete or compaction
    /// cannot move positions under it) and a pooled searcher; Dispose returns both.
    /// </summary>
    private readonly ref struct SearchLease
    {
        private readonly HnswIndex _index;

        public SearchLease(HnswIndex index)
        {
            index._rw.EnterReadLock();
            _index = index;
            Searcher = index.Rent();
        }

        public Searcher Searcher { get; }

        public void Dispose()
        {
            _index._searchers.Add(Searcher);
            _index._rw.ExitReadLock();
        }
    }

    /// <summary>One query: descend the layers greedily, search layer 0 with ef, re-score, keep k (in s.Out*).</summary>
    private int SearchCore(float* query, int k, int ef, AllowedSet? filter, Searcher s)
    {
        if (_entryPoint < 0 || k <= 0)
            return 0;
        byte* deleted = _deletedCount > 0 ? _deleted : null;
        var scan = UseExactFilter(filter, ef, k);
        if (scan && _codes == null)
        {
            Exact.TopK(_vectors, _count, _dim, query, k, filter, deleted, s.Results);
            return s.DrainResults();
        }
        var ep = _entryPoint;
        if (_codes == null)
        {
            var scorer = new FloatScorer(query, _vectors, _dim);
            var epScore = scorer.Score(ep);
            for (var lc = _maxLevel; lc > 0; lc--)
                Greedy(ref scorer, ref ep, ref epScore, lc, false, s);
            if (!SearchLayer(ref scorer, s, ep, epScore, 0, ef, filter, deleted, false, WalkBudget(filter)))
                return ExactAfterWalk(query, k, filter, deleted, s);
            while (s.Results.Count > k)
                s.Results.Pop();
            return s.DrainResults();
        }
        fixed (float* scaled = s.ScaledQuery)
        {
            var scorer = new Int8Scorer(scaled, ScaleForCodes(query, scaled), _codes, _dim);
            // Approximate scores misorder near-ties, so keep at least 2k candidates for the exact
            // re-scoring (FAISS's refine k_factor): with only k there would be nothing to re-rank.
            if (scan)
            {
                ScanCodes(ref scorer, filter!, deleted, Math.Max(ef, 2 * k), s.Results);
            }
            else
            {
                var epScore = scorer.Score(ep);
                for (var lc = _maxLevel; lc > 0; lc--)
                    Greedy(ref scorer, ref ep, ref epScore, lc, false, s);
                if (!SearchLayer(ref scorer, s, ep, epScore, 0, Math.Max(ef, 2 * k), filter, deleted, false, WalkBudget(filter)))
                    return ExactAfterWalk(query, k, filter, deleted, s);
            }
        }
        // Exact re-scoring of the traversal results from the float vectors.
        var n = s.DrainResults();
        s.Results.Clear();
        for (var i = 0; i < n; i++)
        {
            var node = s.OutNodes[i];
            s.Results.PushBounded(VectorKernels.Dot(query, _vectors + (long)node * _dim, _dim), node, k);
        }
        return s.DrainResults();
    }

    /// <summary>
    /// The fused walk re-scores the best max(RefineFactor x k, MinRefine) of its candidates exactly
    /// (FAISS's refine k_factor): on the 1M-item serving index re-scoring all ef x heads of them
    /// gave the same recall@10 at ef 32, 64 and 96 for about 15 % more engine time.
    /// </summary>
    internal const int RefineFactor = 4;

    /// <summary>The least number of candidates the fused walk re-scores (see <see cref="RefineFactor"/>).</summary>
    internal const int MinRefine = 32;

    /// <summary>
    /// The scan of an allowed set on an int8 index: every allowed, live position scored from its
    /// codes (a quarter of the float vector's bytes, in position order), the best
    /// <paramref name="keep"/> into <paramref name="heap"/> for the caller's exact re-scoring.
    /// The allowed positions of a filter are irregularly spaced, which the hardware prefetcher
    /// cannot follow, so they are taken in batches whose codes are prefetched before any is scored.
    /// </summary>
    private void ScanCodes<TScorer>(ref TScorer scorer, AllowedSet filter, byte* deleted, int keep, ScoreHeap heap)
        where TScorer : struct, IScorer
    {
        const int Batch = 32;
        heap.Clear();
        var words = filter.Words;
        var count = _count;
        var batch = stackalloc int[Batch];
        var n = 0;
        for (var w = 0; w < words.Length; w++)
        {
            var word = words[w];
            while (word != 0)
            {
                var p = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                if (p >= count || (deleted != null && deleted[p] != 0))
                    continue;
                scorer.Prefetch(p);
                batch[n++] = p;
                if (n == Batch)
                {
                    for (var i = 0; i < n; i++)
                        heap.PushBounded(scorer.Score(batch[i]), batch[i], keep);
                    n = 0;
                }
            }
        }
        for (var i = 0; i < n; i++)
            heap.PushBounded(scorer.Score(batch[i]), batch[i], keep);
    }

    /// <summary>Greedy descent from the entry point through the upper layers; the layer-1 node it ends on.</summary>
    private int Descend<TScorer>(ref TScorer scorer, Searcher s)
        where TScorer : struct, IScorer
    {
        var ep = _entryPoint;
        var epScore = scorer.Score(ep);
        for (var lc = _maxLevel; lc > 0; lc--)
            Greedy(ref scorer, ref ep, ref epScore, lc, false, s);
        return ep;
    }

    /// <summary>
    /// The int8 form of a query: <paramref name="scaled"/> = query * scale [dim]; returns the bias
    /// query . offset, so that query . item = bias + scaled . codes (<see cref="Int8Scorer"/>).
    /// </summary>
    private float ScaleForCodes(float* query, float* scaled)
    {
        float bias = 0;
        for (var d = 0; d < _dim; d++)
        {
            scaled[d] = query[d] * _quantScale[d];
            bias += query[d] * _quantOffset[d];
        }
        return bias;
    }

    /// <summary>
    /// <see cref="ScaleForCodes"/> for every head [headCount, dim] into <paramref name="scaled"/>
    /// [headCount * dim + headCount] (<see cref="Searcher.ScaledHeads"/>); returns the heads' biases,
    /// stored after the scaled heads.
    /// </summary>
    private float* ScaleHeadsForCodes(float* heads, int headCount, float* scaled)
    {
        var biases = scaled + ((long)headCount * _dim);
        for (var h = 0; h < headCount; h++)
            biases[h] = ScaleForCodes(heads + ((long)h * _dim), scaled + ((long)h * _dim));
        return biases;
    }

    private int ExactAfterWalk(float* query, int k, AllowedSet? filter, byte* deleted, Searcher s)
    {
        Interlocked.Increment(ref _walkFallbacks);
        Exact.TopK(_vectors, _count, _dim, query, k, filter, deleted, s.Results);
        return s.DrainResults();
    }
}
