using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Mmse.Index;

/// <summary>
/// Approximate nearest-neighbour search by inner product over L2-normalised vectors: a
/// hierarchical navigable small-world graph (Malkov and Yashunin, 2016/2018) with optional int8
/// traversal and exact float re-scoring, saved as one file that opens memory-mapped, with
/// adds, tombstone deletes, filtered and multi-head (post-fusion) search. See docs/index.md.
/// </summary>
/// <remarks>
/// Searches are thread-safe and may run concurrently with each other; Add, Delete and Compact
/// take a writer lock. Storage is native memory (built or modified) or the mapped file
/// (opened and not modified): the first modification of an opened index copies it into memory.
/// </remarks>
public sealed unsafe partial class HnswIndex : IItemIndex, IDisposable
{
    private const int MaxLevel = 30;

    private readonly Lock _entryLock = new();
    private readonly ReaderWriterLockSlim _rw = new(LockRecursionPolicy.NoRecursion);
    private readonly ConcurrentBag<Searcher> _searchers = [];

    private HnswOptions _options;
    private int _dim;
    private int _m;
    private int _m0;
    private int _count;
    private int _capacity;
    private float* _vectors;     // [capacity, dim]
    private byte* _codes;        // [capacity, dim], null unless int8
    private float* _quantScale;  // [dim]
    private float* _quantOffset; // [dim]
    private int* _links0;        // [capacity, M0 + 1]: count, then the neighbours
    private int* _levels;        // [capacity]
    private long* _upperOffsets; // [capacity]: start in _upper of levels 1..L, each [M + 1]; -1 for level 0 nodes
    private int* _upper;         // [upperCapacity]
    private long _upperLength;
    private long _upperCapacity;
    private byte* _deleted;      // [capacity]: 1 = tombstone
    private int _deletedCount;
    private int _entryPoint = -1;
    private int _maxLevel = -1;
    private List<string>? _ids;  // owned mode
    private long* _idOffsets;    // mapped mode [count + 1] into _idBytes
    private byte* _idBytes;
    private Dictionary<string, int>? _positionById;
    private MappedFile? _mapped;
    private int[]? _nodeLocks;
    private bool _disposed;

    private HnswIndex(int dim, HnswOptions options)
    {
        _options = options;
        _dim = dim;
        _m = options.M;
        _m0 = 2 * options.M;
    }

    ~HnswIndex()
    {
        // Native buffers only: a mapping's handles have finalizers of their own.
        if (_mapped is null)
            FreeStorage();
    }

    /// <summary>The build options (read from the file for an opened index).</summary>
    public HnswOptions Options => _options;

    /// <summary>Positions in use, deleted ones included; positions run 0..Count-1.</summary>
    public int Count => _count;

    /// <summary>Items that are not deleted.</summary>
    public int LiveCount => _count - _deletedCount;

    public int DeletedCount => _deletedCount;

    public int Dim => _dim;

    /// <summary>True while the index reads straight from a memory-mapped file.</summary>
    public bool IsMemoryMapped => _mapped is not null;

    /// <summary>Bytes of the index as saved (vectors, codes, graph, ids, tombstones, header).</summary>
    public long SizeBytes => Layout().FileLength;

    /// <summary>Bytes of the float32 vectors.</summary>
    public long FloatVectorBytes => (long)_count * _dim * sizeof(float);

    /// <summary>Bytes of the int8 codes the traversal reads (0 without quantisation).</summary>
    public long CodeBytes => _codes == null ? 0 : (long)_count * _dim;

    /// <summary>Bytes of the graph (neighbour lists of every layer, levels, offsets).</summary>
    public long GraphBytes => (long)_count * (_m0 + 1) * 4 + (long)_count * 12 + _upperLength * 4;

    /// <summary>The highest layer of the graph (-1 when empty).</summary>
    public int TopLevel => _maxLevel;

    /// <inheritdoc/>
    public string IdAt(int position)
    {
        _rw.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return IdAtUnlocked(position);
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }

    /// <summary>IdAt for callers that already hold the lock.</summary>
    private string IdAtUnlocked(int position)
    {
        if ((uint)position >= (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"must be in [0, {_count})");
        if (_ids is not null)
            return _ids[position];
        var start = _idOffsets[position];
        var length = (int)(_idOffsets[position + 1] - start);
        return Encoding.UTF8.GetString(_idBytes + start, length);
    }

    /// <summary>The position of a live item, or -1.</summary>
    public int PositionOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        _rw.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var map = PositionMap();
            return map.TryGetValue(id, out var p) && _deleted[p] == 0 ? p : -1;
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }

    public bool IsDeleted(int position)
    {
        _rw.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return (uint)position < (uint)_count && _deleted[position] != 0;
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }

    /// <summary>The stored (normalised) vector of a position [dim].</summary>
    public float[] GetVector(int position)
    {
        _rw.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if ((uint)position >= (uint)_count)
                throw new ArgumentOutOfRangeException(nameof(position), position, $"must be in [0, {_count})");
            return new ReadOnlySpan<float>(_vectors + (long)position * _dim, _dim).ToArray();
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }

    // ---------------------------------------------------------------- build

    /// <summary>
    /// Builds an index over <paramref name="vectors"/> [count, dim] with the given ids (null: the
    /// positions as text). Uses <see cref="HnswOptions.Threads"/> threads; with one thread the
    /// graph depends only on the data and the seed.
    /// </summary>
    /// <exception cref="MmseInputException">Duplicate ids.</exception>
    public static HnswIndex Build(
        ReadOnlySpan<float> vectors, int dim, IReadOnlyList<string>? ids, HnswOptions? options = null,
        ProgressReporter? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new HnswOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (vectors.Length % dim != 0)
            throw new ArgumentException($"'vectors':{vectors.Length} values must be a multiple of 'dim':{dim}");
        var n = vectors.Length / dim;
        if (ids is not null && ids.Count != n)
            throw new ArgumentException($"'ids':{ids.Count} must equal the number of vectors {n}");
        var idList = ids is null
            ? Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList()
            : [.. ids];
        var map = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            ArgumentNullException.ThrowIfNull(idList[i], $"ids[{i}]");
            if (!map.TryAdd(idList[i], i))
                throw new MmseInputException($"duplicate id '{idList[i]}' at positions {map[idList[i]]} and {i}");
        }

        var index = new HnswIndex(dim, options);
        try
        {
            index.Allocate(Math.Max(n, 1), 0);
            index._count = n;
            fixed (float* source = vectors)
            {
                var bytes = (long)n * dim * sizeof(float);
                Buffer.MemoryCopy(source, index._vectors, bytes, bytes);
            }
            if (options.Normalize)
            {
                for (var i = 0; i < n; i++)
                    VectorKernels.Normalize(new Span<float>(index._vectors + (long)i * dim, dim));
            }

            // Levels first, from one seeded stream, so the graph shape never depends on threads.
            var random = new Random(options.Seed);
            long upper = 0;
            for (var i = 0; i < n; i++)
            {
                var level = index.DrawLevel(random);
                index._levels[i] = level;
                index._upperOffsets[i] = level > 0 ? upper : -1;
                upper += (long)level * (index._m + 1);
            }
            index.EnsureUpperCapacity(upper);
            index._upperLength = upper;
            new Span<int>(index._upper, checked((int)Math.Min(upper, int.MaxValue))).Clear();
            if (upper > int.MaxValue)
                NativeMemory.Clear(index._upper, (nuint)(upper * sizeof(int)));

            if (options.Quantization == VectorQuantization.Int8)
                index.TrainQuantizer();
            index._ids = idList;
            index._positionById = map;
            index.InsertRange(0, n, options.ResolvedThreads, progress, cancellationToken);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private int DrawLevel(Random random)
    {
        // Exponentially decaying layer probabilities with mL = 1 / ln(M) (the paper's choice).
        var u = 1.0 - random.NextDouble(); // (0, 1]
        var level = (int)(-Math.Log(u) / Math.Log(_m));
        return Math.Min(level, MaxLevel);
    }

    private void InsertRange(int from, int to, int threads, ProgressReporter? progress, CancellationToken cancel)
    {
        if (from >= to)
            return;
        progress?.Start("index build");
        if (_entryPoint < 0)
        {
            _entryPoint = from;
            _maxLevel = _levels[from];
            from++;
        }
        var total = to - from;
        if (threads <= 1 || total < 2)
        {
            var searcher = NewSearcher();
            for (var i = from; i < to; i++)
            {
                Insert(i, searcher, locked: false);
                if (((i - from) & 1023) == 1023)
                {
                    cancel.ThrowIfCancellationRequested();
                    progress?.Report(i - from + 1, total, $"{i - from + 1:N0}/{total:N0} items");
                }
            }
        }
        else
        {
            _nodeLocks = new int[_capacity];
            var next = from - 1;
            var done = 0;
            try
            {
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
                {
                    var searcher = NewSearcher();
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < to)
                    {
                        Insert(i, searcher, locked: true);
                        var d = Interlocked.Increment(ref done);
                        if ((d & 1023) == 0)
                        {
                            cancel.ThrowIfCancellationRequested();
                            progress?.Report(d, total, $"{d:N0}/{total:N0} items");
                        }
                    }
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfoThrow(e.InnerExceptions[0]);
            }
            finally
            {
                _nodeLocks = null;
            }
        }
        progress?.Report(total, total, $"{total:N0} items");
    }

    private static void ExceptionDispatchInfoThrow(Exception e) =>
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();

    private Searcher NewSearcher() => new(_capacity, _m0, _dim);

    /// <summary>Links node q into the graph (the paper's INSERT, with hnswlib's single entry point per layer).</summary>
    private void Insert(int q, Searcher s, bool locked)
    {
        var level = _levels[q];
        int ep, top;
        lock (_entryLock)
        {
            ep = _entryPoint;
            top = _maxLevel;
        }
        var scorer = new FloatScorer(_vectors + (long)q * _dim, _vectors, _dim);
        var epScore = scorer.Score(ep);
        for (var lc = top; lc > level; lc--)
            Greedy(ref scorer, ref ep, ref epScore, lc, locked, s);
        for (var lc = Math.Min(level, top); lc >= 0; lc--)
        {
            SearchLayer(ref scorer, s, ep, epScore, lc, _options.EfConstruction, null, null, locked);
            var found = s.DrainToSelect();
            var scores = s.SelectScores;
            var nodes = s.SelectNodes;
            // q is not reachable yet on this layer, but a concurrent insert may already point to it.
            var w = 0;
            for (var i = 0; i < found; i++)
            {
                if (nodes[i] != q)
                {
                    scores[w] = scores[i];
                    nodes[w++] = nodes[i];
                }
            }
            if (w == 0)
                continue;
            var selected = SelectHeuristic(scores, nodes, w, _m);
            var own = Links(q, lc);
            if (locked)
                LockNode(q);
            own[0] = selected;
            for (var i = 0; i < selected; i++)
                own[1 + i] = nodes[i];
            if (locked)
                UnlockNode(q);
            for (var i = 0; i < selected; i++)
                Connect(nodes[i], q, lc, s, locked);
            ep = nodes[0];
            epScore = scores[0];
        }
        if (level > top)
        {
            lock (_entryLock)
            {
                if (level > _maxLevel)
                {
                    _maxLevel = level;
                    _entryPoint = q;
                }
            }
        }
    }

    /// <summary>
    /// The paper's neighbour-selection heuristic: walking candidates best first, keep one only if
    /// it is closer to the base than to every kept one (spreads links across directions).
    /// Candidates are sorted best first; the kept ones are compacted to the front.
    /// </summary>
    private int SelectHeuristic(Span<float> scores, Span<int> nodes, int count, int m)
    {
        if (count <= m)
            return count;
        var kept = 0;
        for (var i = 0; i < count && kept < m; i++)
        {
            var c = nodes[i];
            var score = scores[i];
            var cv = _vectors + (long)c * _dim;
            var good = true;
            for (var j = 0; j < kept; j++)
            {
                if (VectorKernels.Dot(cv, _vectors + (long)nodes[j] * _dim, _dim) > score)
                {
                    good = false;
                    break;
                }
            }
            if (good)
            {
                nodes[kept] = c;
                scores[kept] = score;
                kept++;
            }
        }
        return kept;
    }

    /// <summary>Adds the back link e -> q, pruning e's list with the heuristic when it is full.</summary>
    private void Connect(int e, int q, int level, Searcher s, bool locked)
    {
        var maxLinks = level == 0 ? _m0 : _m;
        if (locked)
            LockNode(e);
        try
        {
            var links = Links(e, level);
            var count = links[0];
            for (var i = 0; i < count; i++)
            {
                if (links[1 + i] == q)
                    return;
            }
            if (count < maxLinks)
            {
                links[1 + count] = q;
                links[0] = count + 1;
                return;
            }
            var ev = _vectors + (long)e * _dim;
            var scores = s.PruneScores.AsSpan(0, count + 1);
            var nodes = s.PruneNodes.AsSpan(0, count + 1);
            nodes[0] = q;
            for (var i = 0; i < count; i++)
                nodes[1 + i] = links[1 + i];
            for (var i = 0; i <= count; i++)
                scores[i] = -VectorKernels.Dot(ev, _vectors + (long)nodes[i] * _dim, _dim);
            scores.Sort(nodes); // ascending negated = best first
            for (var i = 0; i <= count; i++)
                scores[i] = -scores[i];
            var kept = SelectHeuristic(scores, nodes, count + 1, maxLinks);
            for (var i = 0; i < kept; i++)
                links[1 + i] = nodes[i];
            links[0] = kept;
        }
        finally
        {
            if (locked)
                UnlockNode(e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int* Links(int node, int level) =>
        level == 0 ? _links0 + (long)node * (_m0 + 1) : _upper + _upperOffsets[node] + (long)(level - 1) * (_m + 1);

    private void LockNode(int node)
    {
        ref var word = ref _nodeLocks![node];
        if (Interlocked.CompareExchange(ref word, 1, 0) != 0)
            SpinUntilLocked(ref word);
    }

    private static void SpinUntilLocked(ref int word)
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref word, 1, 0) != 0)
            spin.SpinOnce();
    }

    private void UnlockNode(int node) => Volatile.Write(ref _nodeLocks![node], 0);

    /// <summary>Reads a node's neighbour list; under its lock (into a copy) while a parallel build runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int* ReadLinks(int node, int level, bool locked, int* copy, out int count)
    {
        var links = Links(node, level);
        var max = level == 0 ? _m0 : _m;
        if (!locked)
        {
            count = Math.Min(links[0], max);
            return links + 1;
        }
        LockNode(node);
        count = Math.Min(links[0], max);
        for (var i = 0; i < count; i++)
            copy[i] = links[1 + i];
        UnlockNode(node);
        return copy;
    }

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
        ItemFilter? filter, byte* deleted, bool locked, long budget = long.MaxValue, ReadOnlySpan<int> seeds = default)
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

    // ---------------------------------------------------------------- search

    /// <summary>
    /// The k items with the highest inner product with <paramref name="query"/> [dim] (expected
    /// unit length), best first. ef &lt;= 0 uses <see cref="HnswOptions.EfSearch"/>; it is raised to k.
    /// </summary>
    public IndexHit[] Search(ReadOnlySpan<float> query, int k, int ef = 0, ItemFilter? filter = null)
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
    public int Search(ReadOnlySpan<float> query, int k, int ef, ItemFilter? filter, Span<int> positions, Span<float> scores)
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

    /// <summary>
    /// Post-fusion search (DESIGN §4, §7): searches the graph with each of the
    /// <paramref name="headCount"/> heads [headCount, dim], unions the candidates, re-scores
    /// them exactly with <see cref="Numerics.PostFusion.Fuse(ReadOnlySpan{float}, float)"/> over
    /// z_k = head_k . item, and returns the k best with their per-head scores. A convenience
    /// wrapper over the allocation-free overload that also resolves ids. <paramref name="ef"/> is
    /// the candidate list per head (&lt;= 0: <see cref="HnswOptions.EfSearch"/>); <paramref name="walk"/>
    /// chooses one fused walk keeping ef x heads candidates (the default) or one walk per head.
    /// </summary>
    public MultiHeadHit[] SearchMultiHead(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef = 0, ItemFilter? filter = null,
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
    public int SearchMultiHead(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef, ItemFilter? filter,
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
    private int SearchMultiHeadCore(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef, ItemFilter? filter,
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
    /// <see cref="MultiHeadWalk.PerHead"/>) is tested against: a HashSet union of the heads' candidates and <see cref="Exact.FusedTopK(float*, int, int, float*, int, float, int, ItemFilter?, byte*, ReadOnlySpan{string}, IEnumerable{int}?, Func{int, string}?)"/>.
    /// </summary>
    internal MultiHeadHit[] SearchMultiHeadReference(ReadOnlySpan<float> heads, int headCount, float beta, int k, int ef = 0, ItemFilter? filter = null)
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
        ItemFilter? filter, byte* deleted, ReadOnlySpan<int> candidates, bool all, ScoreHeap heap, Span<float> z)
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
        ItemFilter? filter, byte* deleted, ScoreHeap heap, Span<float> z, int p)
    {
        if ((uint)p >= (uint)count || (deleted != null && deleted[p] != 0) || (filter is not null && !filter.Contains(p)))
            return;
        for (var h = 0; h < headCount; h++)
            z[h] = VectorKernels.Dot(heads + (long)h * dim, vectors + (long)p * dim, dim);
        heap.PushBounded(Numerics.PostFusion.Fuse(z, beta), p, k);
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
    private bool UseExactFilter(ItemFilter? filter, int ef, int k)
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
    private long WalkBudget(ItemFilter? filter) =>
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
    private int SearchCore(float* query, int k, int ef, ItemFilter? filter, Searcher s)
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
    /// One walk by the fused score of all heads (greedy through the upper layers, then layer 0
    /// keeping <paramref name="ef"/> candidates, at least 2k for int8's exact re-scoring); the
    /// candidates, best first by the walk's score, into s.Union. Returns how many, or -1 when a
    /// filtered walk ran over its budget.
    /// </summary>
    private int FusedWalk(float* heads, int headCount, float beta, int k, int ef, ItemFilter? filter, byte* deleted, Searcher s)
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

    /// <summary>
    /// The scan of an allowed set on an int8 index: every allowed, live position scored from its
    /// codes (a quarter of the float vector's bytes, in position order), the best
    /// <paramref name="keep"/> into <paramref name="heap"/> for the caller's exact re-scoring.
    /// The allowed positions of a filter are irregularly spaced, which the hardware prefetcher
    /// cannot follow, so they are taken in batches whose codes are prefetched before any is scored.
    /// </summary>
    private void ScanCodes<TScorer>(ref TScorer scorer, ItemFilter filter, byte* deleted, int keep, ScoreHeap heap)
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

    /// <summary><see cref="ScanCodes"/> by the fused score of all heads; the candidates into s.Union, returns how many.</summary>
    private int ScanFusedCodes(float* heads, int headCount, float beta, int keep, ItemFilter filter, byte* deleted, Searcher s)
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

    private int ExactAfterWalk(float* query, int k, ItemFilter? filter, byte* deleted, Searcher s)
    {
        Interlocked.Increment(ref _walkFallbacks);
        Exact.TopK(_vectors, _count, _dim, query, k, filter, deleted, s.Results);
        return s.DrainResults();
    }

    // ---------------------------------------------------------------- updates

    /// <summary>
    /// Adds one item [dim] after build and returns its position. An id already present is
    /// replaced (the old position becomes a tombstone). int8 codes use the build's scale and
    /// offset (values outside the trained range are clamped).
    /// </summary>
    public int Add(ReadOnlySpan<float> vector, string id)
    {
        CheckQuery(vector.Length, 1);
        ArgumentNullException.ThrowIfNull(id);
        _rw.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EnsureOwned();
            var map = PositionMap();
            if (map.TryGetValue(id, out var old) && _deleted[old] == 0)
            {
                _deleted[old] = 1;
                _deletedCount++;
            }
            if (_count == _capacity)
                Grow(_capacity * 2);
            var p = _count;
            var v = new Span<float>(_vectors + (long)p * _dim, _dim);
            vector.CopyTo(v);
            if (_options.Normalize)
                VectorKernels.Normalize(v);
            if (_codes != null)
                Encode(p);
            var level = DrawLevel(new Random(HashCode.Combine(_options.Seed, p)));
            _levels[p] = level;
            _upperOffsets[p] = level > 0 ? _upperLength : -1;
            var need = (long)level * (_m + 1);
            EnsureUpperCapacity(_upperLength + need);
            NativeMemory.Clear(_upper + _upperLength, (nuint)(need * sizeof(int)));
            _upperLength += need;
            NativeMemory.Clear(_links0 + (long)p * (_m0 + 1), (nuint)((_m0 + 1) * sizeof(int)));
            _deleted[p] = 0;
            _ids!.Add(id);
            map[id] = p;
            _count++;
            if (_entryPoint < 0)
            {
                _entryPoint = p;
                _maxLevel = level;
            }
            else
            {
                var s = Rent();
                Insert(p, s, locked: false);
                _searchers.Add(s);
            }
            MaybeCompact();
            return PositionMap()[id]; // compaction renumbers positions
        }
        finally
        {
            _rw.ExitWriteLock();
        }
    }

    /// <summary>
    /// Deletes an item by id (a tombstone: still walked through, never returned). Past
    /// <see cref="HnswOptions.CompactDeletedFraction"/> the index is rebuilt from the live items
    /// and positions change. Returns false when the id is absent or already deleted.
    /// </summary>
    public bool Delete(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        _rw.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var map = PositionMap();
            if (!map.TryGetValue(id, out var p) || _deleted[p] != 0)
                return false;
            EnsureOwned();
            _deleted[p] = 1;
            _deletedCount++;
            MaybeCompact();
            return true;
        }
        finally
        {
            _rw.ExitWriteLock();
        }
    }

    /// <summary>Rebuilds the graph from the live items now (drops tombstones; positions change).</summary>
    public void Compact()
    {
        _rw.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CompactCore();
        }
        finally
        {
            _rw.ExitWriteLock();
        }
    }

    private void MaybeCompact()
    {
        if (_deletedCount > 0 && _deletedCount > _options.CompactDeletedFraction * _count)
            CompactCore();
    }

    private void CompactCore()
    {
        EnsureOwned();
        var live = new List<int>(LiveCount);
        for (var p = 0; p < _count; p++)
        {
            if (_deleted[p] == 0)
                live.Add(p);
        }
        var vectors = new float[(long)live.Count * _dim];
        for (var i = 0; i < live.Count; i++)
            new ReadOnlySpan<float>(_vectors + (long)live[i] * _dim, _dim).CopyTo(vectors.AsSpan(i * _dim, _dim));
        var ids = live.Select(p => _ids![p]).ToList();
        var options = _options;
        var fresh = Build(vectors, _dim, ids, options with { Normalize = false });
        FreeStorage();
        TakeStorage(fresh);
        _options = options;
        _searchers.Clear();
    }

    private Dictionary<string, int> PositionMap()
    {
        if (_positionById is not null)
            return _positionById;
        var map = new Dictionary<string, int>(_count, StringComparer.Ordinal);
        for (var p = 0; p < _count; p++)
        {
            // A replaced id keeps its latest position.
            map[IdAtUnlocked(p)] = p;
        }
        return _positionById = map;
    }

    // ---------------------------------------------------------------- storage

    private void TrainQuantizer()
    {
        for (var d = 0; d < _dim; d++)
        {
            var min = float.PositiveInfinity;
            var max = float.NegativeInfinity;
            for (var i = 0; i < _count; i++)
            {
                var x = _vectors[(long)i * _dim + d];
                min = MathF.Min(min, x);
                max = MathF.Max(max, x);
            }
            if (_count == 0)
                min = max = 0;
            _quantOffset[d] = min;
            _quantScale[d] = max > min ? (max - min) / 255f : 1f;
        }
        for (var i = 0; i < _count; i++)
            Encode(i);
    }

    private void Encode(int position)
    {
        var v = _vectors + (long)position * _dim;
        var c = _codes + (long)position * _dim;
        for (var d = 0; d < _dim; d++)
            c[d] = (byte)Math.Clamp(MathF.Round((v[d] - _quantOffset[d]) / _quantScale[d]), 0f, 255f);
    }

    private static T* Alloc<T>(long count) where T : unmanaged =>
        (T*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, count * sizeof(T)), 64);

    private static T* Realloc<T>(T* p, long count) where T : unmanaged =>
        (T*)NativeMemory.AlignedRealloc(p, (nuint)Math.Max(1, count * sizeof(T)), 64);

    /// <summary>Native buffers for <paramref name="capacity"/> items (graph and tombstones zeroed).</summary>
    private void Allocate(int capacity, long upperCapacity)
    {
        _capacity = capacity;
        _vectors = Alloc<float>((long)capacity * _dim);
        if (_options.Quantization == VectorQuantization.Int8)
        {
            _codes = Alloc<byte>((long)capacity * _dim);
            _quantScale = Alloc<float>(_dim);
            _quantOffset = Alloc<float>(_dim);
        }
        _links0 = Alloc<int>((long)capacity * (_m0 + 1));
        NativeMemory.Clear(_links0, (nuint)((long)capacity * (_m0 + 1) * sizeof(int)));
        _levels = Alloc<int>(capacity);
        _upperOffsets = Alloc<long>(capacity);
        _deleted = Alloc<byte>(capacity);
        NativeMemory.Clear(_deleted, (nuint)capacity);
        _upperCapacity = Math.Max(16, upperCapacity);
        _upper = Alloc<int>(_upperCapacity);
    }

    private void Grow(int capacity)
    {
        capacity = Math.Max(capacity, 16);
        _vectors = Realloc(_vectors, (long)capacity * _dim);
        if (_codes != null)
            _codes = Realloc(_codes, (long)capacity * _dim);
        _links0 = Realloc(_links0, (long)capacity * (_m0 + 1));
        _levels = Realloc(_levels, capacity);
        _upperOffsets = Realloc(_upperOffsets, capacity);
        _deleted = Realloc(_deleted, capacity);
        _capacity = capacity;
    }

    private void EnsureUpperCapacity(long needed)
    {
        if (needed <= _upperCapacity)
            return;
        _upperCapacity = Math.Max(needed, _upperCapacity * 2);
        _upper = Realloc(_upper, _upperCapacity);
    }

    /// <summary>Copies a mapped index into native memory so it can be modified.</summary>
    private void EnsureOwned()
    {
        if (_mapped is null)
            return;
        var vectors = _vectors;
        var codes = _codes;
        var scale = _quantScale;
        var offset = _quantOffset;
        var links0 = _links0;
        var levels = _levels;
        var upperOffsets = _upperOffsets;
        var upper = _upper;
        var deleted = _deleted;
        var ids = new List<string>(_count + 16);
        for (var p = 0; p < _count; p++)
            ids.Add(IdAtUnlocked(p));
        var count = _count;
        var capacity = Math.Max(16, count + count / 4);
        Allocate(capacity, _upperLength + 1024);
        Copy(vectors, _vectors, (long)count * _dim);
        if (codes != null)
        {
            Copy(codes, _codes, (long)count * _dim);
            Copy(scale, _quantScale, _dim);
            Copy(offset, _quantOffset, _dim);
        }
        Copy(links0, _links0, (long)count * (_m0 + 1));
        Copy(levels, _levels, count);
        Copy(upperOffsets, _upperOffsets, count);
        Copy(upper, _upper, _upperLength);
        Copy(deleted, _deleted, count);
        _ids = ids;
        _idOffsets = null;
        _idBytes = null;
        var mapped = _mapped;
        _mapped = null;
        mapped.Dispose();
        _searchers.Clear();
    }

    private static void Copy<T>(T* from, T* to, long count) where T : unmanaged =>
        Buffer.MemoryCopy(from, to, count * sizeof(T), count * sizeof(T));

    private void TakeStorage(HnswIndex other)
    {
        _options = other._options;
        _dim = other._dim;
        _m = other._m;
        _m0 = other._m0;
        _count = other._count;
        _capacity = other._capacity;
        _vectors = other._vectors;
        _codes = other._codes;
        _quantScale = other._quantScale;
        _quantOffset = other._quantOffset;
        _links0 = other._links0;
        _levels = other._levels;
        _upperOffsets = other._upperOffsets;
        _upper = other._upper;
        _upperLength = other._upperLength;
        _upperCapacity = other._upperCapacity;
        _deleted = other._deleted;
        _deletedCount = other._deletedCount;
        _entryPoint = other._entryPoint;
        _maxLevel = other._maxLevel;
        _ids = other._ids;
        _idOffsets = other._idOffsets;
        _idBytes = other._idBytes;
        _positionById = other._positionById;
        _mapped = other._mapped;
        other._mapped = null;
        other._vectors = null;
        other._codes = null;
        other._quantScale = other._quantOffset = null;
        other._links0 = null;
        other._levels = null;
        other._upperOffsets = null;
        other._upper = null;
        other._deleted = null;
        other.Dispose();
    }

    private void FreeStorage()
    {
        if (_mapped is not null)
        {
            _mapped.Dispose();
            _mapped = null;
        }
        else
        {
            NativeMemory.AlignedFree(_vectors);
            NativeMemory.AlignedFree(_codes);
            NativeMemory.AlignedFree(_quantScale);
            NativeMemory.AlignedFree(_quantOffset);
            NativeMemory.AlignedFree(_links0);
            NativeMemory.AlignedFree(_levels);
            NativeMemory.AlignedFree(_upperOffsets);
            NativeMemory.AlignedFree(_upper);
            NativeMemory.AlignedFree(_deleted);
        }
        _vectors = null;
        _codes = null;
        _quantScale = _quantOffset = null;
        _links0 = null;
        _levels = null;
        _upperOffsets = null;
        _upper = null;
        _deleted = null;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _rw.EnterWriteLock();
        try
        {
            _disposed = true;
            FreeStorage();
        }
        finally
        {
            _rw.ExitWriteLock();
        }
        GC.SuppressFinalize(this);
    }
}
