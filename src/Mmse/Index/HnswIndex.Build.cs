using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mmse.Internals;
using Mmse.Numerics;

namespace Mmse.Index;

// Building the graph: level draws, parallel insertion, neighbour selection and linking, per-node locks.
public sealed unsafe partial class HnswIndex
{
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
                ThrowHelper.Input($"duplicate id '{idList[i]}' at positions {map[idList[i]]} and {i}");
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
}
