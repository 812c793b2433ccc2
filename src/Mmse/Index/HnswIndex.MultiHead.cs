using System.Runtime.CompilerServices;
using Mmse.Numerics;

namespace Mmse.Index;

// Multi-head (post-fusion) search: one fused walk or one walk per head, candidates re-scored exactly with the fused score.
public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Post-fusion search (DESIGN §4, §7): searches the graph with each of the
    /// <paramref name="headCount"/> heads [headCount, dim], unions the candidates, re-scores
    /// them exactly with <see cref="Numerics.PostFusion.Fuse(ReadOnlySpan{float}, float)"/> over
    /// z_k = head_k . item, and returns the k best with their per-head scores. A convenience
    /// wrapper over the allocation-free overload that also resolves ids. <paramref name="ef"/> is
    /// the candidate list per head (&lt;= 0: <see cref="HnswOptions.EfSearch"/>); <paramref name="walk"/>
    /// chooses one fused walk keeping ef x heads candidates (the default) or one walk per head.
    /// </summary>
    public MultiHeadHit[] SearchMultiHead(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef = 0, AllowedSet? filter = null,
        MultiHeadWalk walk = MultiHeadWalk.Fused)
    {
        CheckQuery(heads.Length, headCount);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        using var lease = new SearchLease(this);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var s = lease.Searcher;
        var positions = new int[k];
        var scores = new float[k];
        var z = new float[(long)k * headCount];
        var n = SearchMultiHeadCore(heads, headCount, beta, k, ef, filter, walk, positions, scores, z, s);
        // Ids are read under the same lock, so a concurrent compaction cannot renumber them.
        var hits = new MultiHeadHit[n];
        for (var i = 0; i < n; i++)
            hits[i] = new MultiHeadHit(positions[i], IdAtUnlocked(positions[i]), scores[i], z.AsSpan(i * headCount, headCount).ToArray());
        return hits;
    }

    /// <summary>
    /// Allocation-free post-fusion search (the same hits as the overload returning
    /// <see cref="MultiHeadHit"/>s): writes up to k hits best first, their positions into
    /// <paramref name="positions"/> [k], fused scores into <paramref name="scores"/> [k] and
    /// per-head cosines into <paramref name="headScores"/> [k, headCount]; returns how many.
    /// Every buffer it needs is per-thread search state reused across queries.
    /// </summary>
    public int SearchMultiHead(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef, AllowedSet? filter,
        Span<int> positions, Span<float> scores, Span<float> headScores, MultiHeadWalk walk = MultiHeadWalk.Fused)
    {
        CheckQuery(heads.Length, headCount);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (positions.Length < k || scores.Length < k || headScores.Length < (long)k * headCount)
            throw new ArgumentException($"'positions' and 'scores' must hold k={k} values and 'headScores' k*headCount={(long)k * headCount}");
        using var lease = new SearchLease(this);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var s = lease.Searcher;
        return SearchMultiHeadCore(heads, headCount, beta, k, ef, filter, walk, positions, scores, headScores, s);
    }

    /// <summary>
    /// Under the read lock: the candidates of one fused walk (or of one walk per head, unioned),
    /// exact fused re-scoring; hits into the spans.
    /// </summary>
    private int SearchMultiHeadCore(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef, AllowedSet? filter,
        MultiHeadWalk walk, Span<int> positions, Span<float> scores, Span<float> headScores, Searcher s)
    {
        if (_entryPoint < 0 || k == 0)
            return 0;
        if (!Enum.IsDefined(walk))
            throw new ArgumentOutOfRangeException(nameof(walk), walk, "unknown multi-head walk");
        var efs = EffectiveEf(ef, k);
        // The fused walk keeps the candidates of all heads in its one list (a single head is the plain walk).
        var fused = walk == MultiHeadWalk.Fused && headCount > 1;
        var walkEf = fused ? (int)Math.Min(int.MaxValue / 2, (long)efs * headCount) : efs;
        byte* deleted = _deletedCount > 0 ? _deleted : null;
        var z = s.HeadScores(headCount);
        fixed (float* h = heads)
        {
            if (UseExactFilter(filter, walkEf, fused ? k : efs))
            {
                if (_codes == null)
                {
                    FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, default, all: true, s.Results, z);
                }
                else
                {
                    var n = ScanFusedCodes(h, headCount, beta, Math.Max(walkEf, 2 * k), filter!, deleted, s);
                    FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, s.Union(n).AsSpan(0, n), all: false, s.Results, z);
                }
            }
            else if (fused)
            {
                var n = FusedWalk(h, headCount, beta, k, walkEf, filter, deleted, s);
                if (n < 0)
                {
                    Interlocked.Increment(ref _walkFallbacks);
                    FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, default, all: true, s.Results, z);
                }
                else
                {
                    // The walk's list is ordered by its own (int8) fused score, close to the exact one:
                    // only its head can hold the exact top k, so only that is re-scored.
                    var refine = Math.Min(n, Math.Max(RefineFactor * k, MinRefine));
                    FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, s.Union(n).AsSpan(0, refine), all: false, s.Results, z);
                }
            }
            else
            {
                // The union of the heads' candidates in first-seen order (a HashSet's order, which
                // the reference keeps), deduplicated with a fresh generation of the visited stamps.
                var union = 0;
                for (var head = 0; head < headCount; head++)
                {
                    var n = SearchCore(h + (long)head * _dim, efs, efs, filter, s);
                    s.OutNodes.AsSpan(0, n).CopyTo(s.Union(union + n).AsSpan(union));
                    union += n;
                }
                var generation = s.NextGeneration(_capacity);
                var visited = s.Visited;
                var candidates = s.Union(union);
                var unique = 0;
                for (var i = 0; i < union; i++)
                {
                    var c = candidates[i];
                    if (visited[c] == generation)
                        continue;
                    visited[c] = generation;
                    candidates[unique++] = c;
                }
                FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, candidates.AsSpan(0, unique), all: false, s.Results, z);
            }
            var count = s.DrainResults();
            for (var i = 0; i < count; i++)
            {
                var node = s.OutNodes[i];
                positions[i] = node;
                scores[i] = s.OutScores[i];
                for (var head = 0; head < headCount; head++)
                    headScores[(i * headCount) + head] = VectorKernels.Dot(h + (long)head * _dim, _vectors + (long)node * _dim, _dim);
            }
            return count;
        }
    }

    /// <summary>
    /// The plain per-head post-fusion search the allocation-free one (with
    /// <see cref="MultiHeadWalk.PerHead"/>) is tested against: a HashSet union of the heads' candidates and <see cref="Exact.FusedTopK(float*, int, int, float*, int, float, int, AllowedSet?, byte*, ReadOnlySpan{string}, IEnumerable{int}?, Func{int, string}?)"/>.
    /// </summary>
    internal MultiHeadHit[] SearchMultiHeadReference(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef = 0, AllowedSet? filter = null)
    {
        CheckQuery(heads.Length, headCount);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        using var lease = new SearchLease(this);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var s = lease.Searcher;
        var efs = EffectiveEf(ef, k);
        byte* deleted = _deletedCount > 0 ? _deleted : null;
        fixed (float* h = heads)
        {
            if (_entryPoint < 0 || k == 0)
                return [];
            if (UseExactFilter(filter, efs, efs))
                return Exact.FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, default, null, IdAtUnlocked);
            var union = new HashSet<int>();
            for (var head = 0; head < headCount; head++)
            {
                var n = SearchCore(h + (long)head * _dim, efs, efs, filter, s);
                for (var i = 0; i < n; i++)
                    union.Add(s.OutNodes[i]);
            }
            return Exact.FusedTopK(_vectors, _count, _dim, h, headCount, beta, k, filter, deleted, default, union, IdAtUnlocked);
        }
    }

    /// <summary>
    /// The k best fused scores into <paramref name="heap"/> (cleared first) over
    /// <paramref name="candidates"/>, or with <paramref name="all"/> over every allowed row in
    /// ascending order (the filter's bits read a word at a time): the allocation-free form of
    /// <c>Exact.FusedTopK</c>, visiting rows in the same order, so ties break the same way.
    /// </summary>
    private static void FusedTopK(
        float* vectors, int count, int dim, float* heads, int headCount, float beta, int k,
        AllowedSet? filter, byte* deleted, ReadOnlySpan<int> candidates, bool all, ScoreHeap heap, Span<float> z)
    {
        heap.Clear();
        if (!all)
        {
            // The candidates' float vectors are scattered over the whole table (a cache miss or
            // four each): request them all first, so the misses overlap instead of queueing.
            foreach (var p in candidates)
            {
                if ((uint)p < (uint)count)
                    VectorKernels.Prefetch(vectors + (long)p * dim, dim * sizeof(float));
            }
            foreach (var p in candidates)
                PushFused(vectors, count, dim, heads, headCount, beta, k, filter, deleted, heap, z, p);
        }
        else if (filter is not null)
        {
            var words = filter.Words;
            for (var w = 0; w < words.Length; w++)
            {
                var word = words[w];
                while (word != 0)
                {
                    var p = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                    PushFused(vectors, count, dim, heads, headCount, beta, k, filter, deleted, heap, z, p);
                    word &= word - 1;
                }
            }
        }
        else
        {
            for (var p = 0; p < count; p++)
                PushFused(vectors, count, dim, heads, headCount, beta, k, filter, deleted, heap, z, p);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PushFused(float* vectors, int count, int dim, float* heads, int headCount, float beta, int k,
        AllowedSet? filter, byte* deleted, ScoreHeap heap, Span<float> z, int p)
    {
        if ((uint)p >= (uint)count || (deleted != null && deleted[p] != 0) || (filter is not null && !filter.Contains(p)))
            return;
        for (var h = 0; h < headCount; h++)
            z[h] = VectorKernels.Dot(heads + (long)h * dim, vectors + (long)p * dim, dim);
        heap.PushBounded(Numerics.PostFusion.Fuse(z, beta), p, k);
    }

    /// <summary>
    /// One walk by the fused score of all heads (greedy through the upper layers, then layer 0
    /// keeping <paramref name="ef"/> candidates, at least 2k for int8's exact re-scoring); the
    /// candidates, best first by the walk's score, into s.Union. Returns how many, or -1 when a
    /// filtered walk ran over its budget.
    /// </summary>
    private int FusedWalk(float* heads, int headCount, float beta, int k, int ef, AllowedSet? filter, byte* deleted, Searcher s)
    {
        // Each head descends the upper layers on its own, so the layer-0 walk starts in every
        // head's region: heads that point at different intents are all explored, not only the
        // region of the entry point's best head.
        var entries = s.Entries(headCount);
        bool complete;
        if (_codes == null)
        {
            for (var h = 0; h < headCount; h++)
            {
                var head = new FloatScorer(heads + ((long)h * _dim), _vectors, _dim);
                entries[h] = Descend(ref head, s);
            }
            var scorer = new FusedFloatScorer(heads, headCount, beta, _vectors, _dim);
            complete = SearchLayer(ref scorer, s, entries[0], scorer.Score(entries[0]), 0, Math.Max(ef, k), filter, deleted, false,
                WalkBudget(filter), entries.AsSpan(1, headCount - 1));
        }
        else
        {
            fixed (float* scaled = s.ScaledHeads(headCount, _dim))
            {
                var biases = ScaleHeadsForCodes(heads, headCount, scaled);
                for (var h = 0; h < headCount; h++)
                {
                    var head = new Int8Scorer(scaled + ((long)h * _dim), biases[h], _codes, _dim);
                    entries[h] = Descend(ref head, s);
                }
                var scorer = new FusedInt8Scorer(scaled, biases, headCount, beta, _codes, _dim);
                complete = SearchLayer(ref scorer, s, entries[0], scorer.Score(entries[0]), 0, Math.Max(ef, 2 * k), filter, deleted, false,
                    WalkBudget(filter), entries.AsSpan(1, headCount - 1));
            }
        }
        return complete ? DrainToUnion(s) : -1;
    }

    /// <summary><see cref="ScanCodes"/> by the fused score of all heads; the candidates into s.Union, returns how many.</summary>
    private int ScanFusedCodes(float* heads, int headCount, float beta, int keep, AllowedSet filter, byte* deleted, Searcher s)
    {
        fixed (float* scaled = s.ScaledHeads(headCount, _dim))
        {
            var scorer = new FusedInt8Scorer(scaled, ScaleHeadsForCodes(heads, headCount, scaled), headCount, beta, _codes, _dim);
            ScanCodes(ref scorer, filter, deleted, keep, s.Results);
        }
        return DrainToUnion(s);
    }

    /// <summary>s.Results, best first, into s.Union; returns how many (the candidates of a fused walk or scan).</summary>
    private static int DrainToUnion(Searcher s)
    {
        var n = s.DrainResults();
        s.OutNodes.AsSpan(0, n).CopyTo(s.Union(n));
        return n;
    }
}
