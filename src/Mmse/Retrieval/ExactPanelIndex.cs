using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Mmse.Index;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Retrieval;

/// <summary>
/// Exact (brute-force) multi-head search over item vectors with the blocked panel scoring of
/// <see cref="PanelScoring"/>: the exact index behind <c>mmse search</c>, <c>mmse eval</c> and
/// training's validation (through <see cref="Evaluation.ExactEvaluator"/>). Blocks of queries sweep
/// chunks of 1,024 items so a chunk is read from L2 by every query of the block. Right after a tile
/// is scored, each query's best head is compared with its top-k threshold (the fused score never
/// exceeds the best head cosine), and only the items that can still enter are fused and offered to
/// a top-k buffer. Item numbers are the rows of the vectors it was built from (catalog indices).
/// </summary>
public sealed class ExactPanelIndex : IItemIndex
{
    private const int Panel = PanelScoring.Panel;
    private const int TileRows = PanelScoring.TileRows;
    private const int ChunkItems = 1024; // items swept by a query block before moving on (stays in L2)
    private const int TilesPerBlock = 8; // query tiles per work item of the thread pool
    private readonly float[] _panels; // pinned: panel c holds items [32c, 32c + 32) as [Dim, 32]
    private readonly int _panelCount;
    private readonly int _threads;

    /// <summary>Packs <paramref name="count"/> item vectors [count, dim] (used as given: unit length expected).</summary>
    public ExactPanelIndex(float[] items, int count, int dim, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (items.Length < (long)count * dim)
            throw new ArgumentException($"'items':{items.Length} must hold {count} x {dim}");
        Count = count;
        Dim = dim;
        _threads = Parallel2.Resolve(threads);
        var d = dim;
        _panelCount = (count + Panel - 1) / Panel;
        _panels = GC.AllocateArray<float>(checked(_panelCount * Panel * d), pinned: true);
        for (var i = 0; i < count; i++)
        {
            var panel = _panels.AsSpan((i / Panel) * Panel * d, Panel * d);
            var column = i % Panel;
            var row = items.AsSpan(i * d, d);
            for (var p = 0; p < d; p++)
                panel[p * Panel + column] = row[p];
        }
    }

    /// <summary>Items searched.</summary>
    public int Count { get; }

    /// <summary>The vector length.</summary>
    public int Dim { get; }

    /// <summary>The packed panels' bytes.</summary>
    public long SizeBytes => (long)_panels.Length * sizeof(float);

    /// <summary>The scoring kernel (tests force each one; the default picks the widest available).</summary>
    internal ScoringKernel Kernel { get; set; }

    /// <inheritdoc/>
    public SearchHits Search(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter)
    {
        CheckArguments(heads, headCount, k);
        var allowed = filter is null ? null : AllowedSet.FromPredicate(Count, filter.Allows);
        var (items, scores) = SearchMany(heads.ToArray(), 1, headCount, beta, k, 1, allowed)[0];
        return new SearchHits(headCount, items, scores, HeadScores(heads, headCount, items));
    }

    /// <summary>Item <paramref name="item"/>'s vector [Dim], read back from its panel column (a copy).</summary>
    public float[] Vector(int item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(item, Count);
        var panel = _panels.AsSpan((item / Panel) * Panel * Dim, Panel * Dim);
        var column = item % Panel;
        var row = new float[Dim];
        for (var p = 0; p < Dim; p++)
            row[p] = panel[(p * Panel) + column];
        return row;
    }

    /// <summary>
    /// The plain definition of <see cref="Search"/>: every allowed item scored by per-head dot products
    /// (one FMA chain in dimension order, as the kernels), fused by <see cref="PostFusion.FuseBounded"/>,
    /// then a full sort by score (descending) and item (ascending). Slow; tests hold the blocked scan to it.
    /// </summary>
    internal SearchHits SearchReference(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter)
    {
        CheckArguments(heads, headCount, k);
        var all = new List<(int Item, float Score)>();
        var z = new float[headCount];
        for (var i = 0; i < Count; i++)
        {
            if (filter is not null && !filter.Allows(i))
                continue;
            for (var h = 0; h < headCount; h++)
                z[h] = Dot(heads.Slice(h * Dim, Dim), i);
            all.Add((i, PostFusion.FuseBounded(z, beta)));
        }
        all.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        var top = all.Take(k).ToArray();
        int[] items = [.. top.Select(t => t.Item)];
        return new SearchHits(headCount, items, [.. top.Select(t => t.Score)], HeadScores(heads, headCount, items));
    }

    /// <summary>
    /// Exact single-vector ground truth (the recall reference of <c>mmse bench ann</c>): the top
    /// <paramref name="k"/> positions by inner product of each query [queryCount, dim] with the rows of
    /// <paramref name="vectors"/> [count, dim] scaled to unit length, as [queryCount, k] padded with -1
    /// (ties: lower position first), on <paramref name="threads"/> threads (0 = all cores).
    /// </summary>
    public static int[] GroundTruth(ReadOnlySpan<float> vectors, int dim, ReadOnlySpan<float> queries, int k, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (vectors.Length % dim != 0)
            throw new ArgumentException($"'vectors':{vectors.Length} values must be a multiple of 'dim':{dim}");
        if (queries.Length % dim != 0)
            throw new ArgumentException($"'query':{queries.Length} values must equal 1 x the index's dimension {dim}");
        var rows = vectors.ToArray();
        var count = rows.Length / dim;
        for (var i = 0; i < count; i++)
            VectorKernels.Normalize(rows.AsSpan(i * dim, dim));
        var index = new ExactPanelIndex(rows, count, dim, threads);
        var queryCount = queries.Length / dim;
        var found = index.SearchMany(queries.ToArray(), queryCount, 1, 1f, k, threads);
        var result = new int[queryCount * k];
        Array.Fill(result, -1);
        for (var q = 0; q < queryCount; q++)
            found[q].Items.CopyTo(result, q * k);
        return result;
    }

    private void CheckArguments(ReadOnlySpan<float> heads, int headCount, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(headCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (heads.Length != headCount * Dim)
            throw new ArgumentException($"'heads':{heads.Length} must equal headCount x dim = {headCount * Dim}");
    }

    private float[] HeadScores(ReadOnlySpan<float> heads, int headCount, int[] items)
    {
        var result = new float[items.Length * headCount]; // [hits, heads]
        for (var n = 0; n < items.Length; n++)
        {
            for (var h = 0; h < headCount; h++)
                result[(n * headCount) + h] = Dot(heads.Slice(h * Dim, Dim), items[n]);
        }
        return result;
    }

    // The same FMA chain in dimension order as the kernels, read from the item's panel column.
    private float Dot(ReadOnlySpan<float> head, int item)
    {
        var panel = _panels.AsSpan((item / Panel) * Panel * Dim, Panel * Dim);
        var column = item % Panel;
        var sum = 0f;
        for (var p = 0; p < Dim; p++)
            sum = MathF.FusedMultiplyAdd(head[p], panel[(p * Panel) + column], sum);
        return sum;
    }

    /// <summary>
    /// Exact top-k for many queries, in parallel over blocks of queries: <paramref name="rows"/> holds
    /// each query's <paramref name="headCount"/> scoring heads [queries, headCount, Dim] (unit length),
    /// items rank by <see cref="PostFusion.FuseBounded"/> with <paramref name="beta"/>, best first (ties:
    /// lower item first); only items <paramref name="allowed"/> holds (all when null).
    /// </summary>
    public (int[] Items, float[] Scores)[] SearchMany(float[] rows, int queries, int headCount, float beta, int k, int threads = 0,
        AllowedSet? allowed = null, Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(headCount, 1);
        return SearchCore(rows, headCount * Dim, null, queries, headCount, beta, k, threads, allowed, progress, cancellation);
    }

    /// <summary>
    /// The blocked search. Each query's input is <paramref name="stride"/> floats of
    /// <paramref name="input"/>; with <paramref name="model"/> they are its raw heads and become
    /// scoring heads by <see cref="MmseModel.ScoringQuery"/> one block at a time (no copy of the whole batch).
    /// </summary>
    internal (int[] Items, float[] Scores)[] SearchCore(float[] input, int stride, MmseModel? model, int queries, int kq, float beta,
        int k, int threads, AllowedSet? allowed, Action<int>? progress, CancellationToken cancellation)
    {
        var d = Dim;
        var kd = stride;
        if (input.Length < (long)queries * kd)
            throw new ArgumentException($"'queryHeads':{input.Length} must hold {queries} x {kd}");
        k = Math.Min(Math.Max(k, 0), Count);
        var results = new (int[] Items, float[] Scores)[queries];
        if (queries == 0)
            return results;
        var kernel = PanelScoring.Resolve(Kernel);
        // A tile is as many whole queries as fit in 12 rows (one query of many heads takes several kernel calls).
        var perTile = Math.Max(1, TileRows / kq);
        var tileRows = ((perTile * kq) + TileRows - 1) / TileRows * TileRows;
        var perBlock = perTile * TilesPerBlock;
        var blocks = (queries + perBlock - 1) / perBlock;
        var workers = Math.Min(threads <= 0 ? _threads : threads, blocks);
        var next = -1;
        var done = 0;
        void Worker()
        {
            var rows = GC.AllocateArray<float>(TilesPerBlock * tileRows * d, pinned: true);
            var zt = GC.AllocateArray<float>(tileRows * Panel, pinned: true);
            var heaps = new TopK[Math.Min(perBlock, queries)]; // a single search keeps one buffer, not a block's
            for (var i = 0; i < heaps.Length; i++)
                heaps[i] = new TopK(k);
            var zk = new float[kq];
            int block;
            while ((block = Interlocked.Increment(ref next)) < blocks)
            {
                cancellation.ThrowIfCancellationRequested();
                var q0 = block * perBlock;
                var nq = Math.Min(perBlock, queries - q0);
                Array.Clear(rows);
                for (var q = 0; q < nq; q++)
                {
                    var tile = q / perTile;
                    var destination = rows.AsSpan(((tile * tileRows) + (q % perTile * kq)) * d, kq * d);
                    if (model is null)
                        input.AsSpan((q0 + q) * kd, kq * d).CopyTo(destination);
                    else
                        model.ScoringQuery(input.AsSpan((q0 + q) * kd, kd), destination);
                    heaps[q].Clear();
                }
                var tiles = (nq + perTile - 1) / perTile;
                for (var c0 = 0; c0 < _panelCount; c0 += ChunkItems / Panel)
                {
                    var c1 = Math.Min(_panelCount, c0 + (ChunkItems / Panel));
                    for (var t = 0; t < tiles; t++)
                    {
                        var inTile = Math.Min(perTile, nq - (t * perTile));
                        for (var c = c0; c < c1; c++)
                        {
                            ScoreTile(kernel, rows, t * tileRows * d, tileRows, d, c, zt);
                            Select(zt, kq, beta, allowed, inTile, heaps.AsSpan(t * perTile, inTile), c, zk);
                        }
                    }
                }
                for (var q = 0; q < nq; q++)
                    results[q0 + q] = heaps[q].Sorted();
                var total = Interlocked.Add(ref done, nq);
                progress?.Invoke(total);
            }
        }
        if (workers <= 1)
            Worker();
        else
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellation }, _ => Worker());
        return results;
    }

    /// <summary>zt[r, 0..32) = rows[r] . items of panel c, for the tile's rows (a multiple of 12).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    private unsafe void ScoreTile(ScoringKernel kernel, float[] rows, int offset, int tileRows, int d, int c, float[] zt)
    {
        fixed (float* pRows = rows, pPanels = _panels, pz = zt)
        {
            var b = pPanels + ((long)c * Panel * d);
            for (var r = 0; r < tileRows; r += TileRows)
                PanelScoring.Tile(kernel, pRows + offset + (r * d), d, b, pz + (r * Panel));
        }
    }

    /// <summary>Offers to each query's top-k the items of the panel whose best head reaches its threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    private void Select(float[] zt, int kq, float beta, AllowedSet? allowed, int inTile, Span<TopK> heaps, int c, float[] zk)
    {
        var j0 = c * Panel;
        var valid = Count - j0 >= Panel ? uint.MaxValue : (1u << (Count - j0)) - 1;
        if (allowed is not null)
            valid &= allowed.Word32(c); // panel c is bits [32c, 32c + 32) of the allowed set
        Span<float> fused = stackalloc float[Panel];
        for (var t = 0; t < inTile; t++)
        {
            var heap = heaps[t];
            var threshold = heap.Threshold;
            var z = zt.AsSpan(t * kq * Panel, kq * Panel);
            uint hits;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> m0 = Vector256.Create<float>(z), m1 = Vector256.Create<float>(z[8..]),
                    m2 = Vector256.Create<float>(z[16..]), m3 = Vector256.Create<float>(z[24..]);
                for (var h = 1; h < kq; h++)
                {
                    var zh = z.Slice(h * Panel, Panel);
                    m0 = Vector256.Max(m0, Vector256.Create<float>(zh));
                    m1 = Vector256.Max(m1, Vector256.Create<float>(zh[8..]));
                    m2 = Vector256.Max(m2, Vector256.Create<float>(zh[16..]));
                    m3 = Vector256.Max(m3, Vector256.Create<float>(zh[24..]));
                }
                var limit = Vector256.Create(threshold);
                hits = Vector256.GreaterThanOrEqual(m0, limit).ExtractMostSignificantBits()
                    | (Vector256.GreaterThanOrEqual(m1, limit).ExtractMostSignificantBits() << 8)
                    | (Vector256.GreaterThanOrEqual(m2, limit).ExtractMostSignificantBits() << 16)
                    | (Vector256.GreaterThanOrEqual(m3, limit).ExtractMostSignificantBits() << 24);
            }
            else
            {
                hits = 0;
                for (var x = 0; x < Panel; x++)
                {
                    var best = z[x];
                    for (var h = 1; h < kq; h++)
                        best = MathF.Max(best, z[(h * Panel) + x]);
                    if (best >= threshold)
                        hits |= 1u << x;
                }
            }
            hits &= valid;
            if (hits != 0 && kq == 2 && Vector256.IsHardwareAccelerated && Fma.IsSupported)
            {
                // Fuse the panel's items eight at a time (the same bits as PostFusion.FuseBounded) and offer those that reach the threshold.
                var betas = Vector256.Create(beta);
                var limit = Vector256.Create(threshold);
                var kept = 0u;
                for (var g = 0; g < Panel; g += 8)
                {
                    if (((hits >> g) & 0xFF) == 0)
                        continue;
                    var f = PostFusion.FuseBounded8(Vector256.Create<float>(z[g..]), Vector256.Create<float>(z[(Panel + g)..]), betas);
                    f.CopyTo(fused[g..]);
                    kept |= Vector256.GreaterThanOrEqual(f, limit).ExtractMostSignificantBits() << g;
                }
                hits &= kept;
                while (hits != 0)
                {
                    var x = System.Numerics.BitOperations.TrailingZeroCount(hits);
                    hits &= hits - 1;
                    heap.Push(fused[x], j0 + x);
                }
                continue;
            }
            while (hits != 0)
            {
                var x = System.Numerics.BitOperations.TrailingZeroCount(hits);
                hits &= hits - 1;
                float score;
                if (kq == 1)
                {
                    score = z[x];
                }
                else
                {
                    for (var h = 0; h < kq; h++)
                        zk[h] = z[(h * Panel) + x];
                    score = PostFusion.FuseBounded(zk, beta);
                }
                heap.Push(score, j0 + x);
            }
        }
    }

    /// <summary>
    /// The best k (score, item) of a stream: candidates above the current threshold are appended to a
    /// 2k buffer, and a full buffer is cut back to about 1.2k keys at a sampled cut (or to exactly k by
    /// quickselect when the sample misses), which costs O(1) per candidate where a heap costs a sift (a
    /// top-1000 over 100k random items sees ~k ln(N/k) = 4,600 candidates per query, ~9,000 with the lag). Score and item are packed into one ulong key whose order is "higher score,
    /// then lower item index", so selection is exact and deterministic, ties included.
    /// </summary>
    internal sealed class TopK(int capacity)
    {
        private readonly ulong[] _keys = new ulong[Math.Max(2, 2 * capacity)];
        private int _count;
        private ulong _thresholdKey;
        private bool _full;

        /// <summary>Scores below this cannot enter (−inf until k items were kept).</summary>
        public float Threshold { get; private set; } = float.NegativeInfinity;

        public void Clear()
        {
            _count = 0;
            _full = false;
            _thresholdKey = 0;
            Threshold = float.NegativeInfinity;
        }

        public static ulong Pack(float score, int item)
        {
            var bits = BitConverter.SingleToUInt32Bits(score);
            bits = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u; // monotonic in score
            return ((ulong)bits << 32) | (uint)(int.MaxValue - item);
        }

        public static (float Score, int Item) Unpack(ulong key)
        {
            var bits = (uint)(key >> 32);
            bits = (bits & 0x8000_0000u) != 0 ? bits & 0x7FFF_FFFFu : ~bits;
            return (BitConverter.UInt32BitsToSingle(bits), int.MaxValue - (int)(uint)key);
        }

        public void Push(float score, int item)
        {
            if (capacity == 0)
                return;
            var key = Pack(score, item);
            if (_full && key <= _thresholdKey)
                return;
            _keys[_count++] = key;
            if (_count == _keys.Length)
                Compact();
        }

        /// <summary>Cuts a full buffer back to at least k keys (a sampled cut, else exactly k by quickselect) and raises the threshold.</summary>
        private void Compact()
        {
            if (!TryCutAtSample())
            {
                SelectTop(_keys, _count, capacity);
                _count = capacity;
                var min = ulong.MaxValue;
                for (var i = 0; i < capacity; i++)
                    min = Math.Min(min, _keys[i]);
                SetThreshold(min);
            }
        }

        private void SetThreshold(ulong key)
        {
            _thresholdKey = key;
            _full = true;
            Threshold = Unpack(key).Score;
        }

        /// <summary>
        /// Cuts the buffer at a key read off a fixed sample, chosen so that about 1.2k keys reach it: when at
        /// least k do (so nothing of the final top k is below it) and the cut frees room, keeps exactly the
        /// keys at or above it in two branch-free passes, where quickselect mispredicts a branch on nearly
        /// every comparison. Returns false (caller falls back to quickselect) on small buffers or a bad sample.
        /// </summary>
        private bool TryCutAtSample()
        {
            const int samples = 128;
            var n = _count;
            if (n < 4 * samples)
                return false;
            Span<ulong> sample = stackalloc ulong[samples];
            for (var i = 0; i < samples; i++)
                sample[i] = _keys[(int)((long)i * n / samples)];
            sample.Sort();
            var rank = (int)Math.Ceiling(samples * 1.2 * capacity / n); // from the top, 1-based
            if (rank >= samples)
                return false;
            var cut = sample[samples - rank];
            var keys = _keys.AsSpan(0, n);
            var keep = 0;
            foreach (var key in keys)
                keep += key >= cut ? 1 : 0;
            if (keep < capacity || keep > n - (capacity / 2))
                return false;
            var w = 0;
            foreach (var key in keys)
            {
                keys[w] = key;
                w += key >= cut ? 1 : 0;
            }
            _count = w;
            // The cut is itself a kept key and keys are unique (one per item), so "key <= cut" rejects exactly what is below it.
            SetThreshold(cut);
            return true;
        }

        /// <summary>Rearranges keys[0..count) so the k largest come first (Hoare quickselect, median of three).</summary>
        private static void SelectTop(ulong[] keys, int count, int k)
        {
            int lo = 0, hi = count - 1;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo) >> 1);
                // Median of three as pivot; descending order.
                ulong a = keys[lo], b = keys[mid], c = keys[hi];
                var pivot = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
                int i = lo, j = hi;
                while (i <= j)
                {
                    while (keys[i] > pivot) i++;
                    while (keys[j] < pivot) j--;
                    if (i <= j)
                    {
                        (keys[i], keys[j]) = (keys[j], keys[i]);
                        i++;
                        j--;
                    }
                }
                if (k - 1 <= j) hi = j;
                else if (k - 1 >= i) lo = i;
                else break;
            }
        }

        public (int[] Items, float[] Scores) Sorted()
        {
            var n = Math.Min(_count, capacity);
            if (_count > capacity)
            {
                TryCutAtSample();
                SelectTop(_keys, _count, capacity);
            }
            var top = _keys.AsSpan(0, n);
            top.Sort();
            var items = new int[n];
            var scores = new float[n];
            for (var i = 0; i < n; i++)
                (scores[i], items[i]) = Unpack(top[n - 1 - i]);
            return (items, scores);
        }
    }
}
