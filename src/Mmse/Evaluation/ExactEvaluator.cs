using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

/// <summary>Which scoring kernel <see cref="ExactEvaluator"/> runs (all give bit-identical scores).</summary>
internal enum ScoringKernel
{
    /// <summary>The widest the machine supports.</summary>
    Auto,
    Scalar,
    Avx2,
    Avx512,
}

/// <summary>
/// Exact (brute-force) retrieval over a whole catalog with the model's fused score, and the §8
/// evaluation on a log. Items are packed in panels of 32 ([Dim, 32] each, zero-padded), and a tile
/// of 12 query-head rows is scored against a panel by a register-blocked micro-kernel (AVX-512:
/// 24 accumulators; AVX2 and scalar kernels compute the same tile with the same FMA chain, so every
/// kernel gives the same bits). Blocks of queries sweep chunks of 1,024 items so a chunk is read from
/// L2 by every query of the block. Right after a tile is scored, each query's best head is compared
/// with its top-k threshold (the fused score never exceeds the best head cosine), and only the items
/// that can still enter are fused and offered to a top-k buffer. <see cref="SearchReference"/> is the
/// plain definition (per-pair dot products, full sort) the fast path is tested against.
/// </summary>
public sealed class ExactEvaluator
{
    private const int Panel = 32; // items per packed panel (two Vector512 / four Vector256)
    private const int TileRows = 12; // query-head rows per micro-kernel call
    private const int ChunkItems = 1024; // items swept by a query block before moving on (stays in L2)
    private const int TilesPerBlock = 8; // query tiles per work item of the thread pool
    private readonly float[] _panels; // pinned: panel c holds items [32c, 32c + 32) as [Dim, 32]
    private readonly int _panelCount;
    private readonly int _threads;

    public ExactEvaluator(MmseModel model, float[] items, int count, int threads = 0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (items.Length < (long)count * model.Dim)
            throw new ArgumentException($"'items':{items.Length} must hold {count} x {model.Dim}");
        Count = count;
        _threads = Parallel2.Resolve(threads);
        var d = model.Dim;
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

    /// <summary>The scoring kernel (tests force each one; the default picks the widest available).</summary>
    internal ScoringKernel Kernel { get; init; }

    private ScoringKernel ResolvedKernel => Kernel switch
    {
        ScoringKernel.Auto when Avx512F.IsSupported && Vector512.IsHardwareAccelerated => ScoringKernel.Avx512,
        ScoringKernel.Auto when Fma.IsSupported && Avx2.IsSupported => ScoringKernel.Avx2,
        ScoringKernel.Auto => ScoringKernel.Scalar,
        ScoringKernel.Avx512 when !Avx512F.IsSupported => throw new PlatformNotSupportedException("AVX-512F"),
        ScoringKernel.Avx2 when !(Fma.IsSupported && Avx2.IsSupported) => throw new PlatformNotSupportedException("AVX2 and FMA"),
        _ => Kernel,
    };

    /// <summary>Exact top-k items for query heads [Heads*Dim], best first (ties: lower index first).</summary>
    public (int[] Items, float[] Scores) Search(ReadOnlySpan<float> queryHeads, int k)
    {
        var kd = Model.Heads * Model.Dim;
        if (queryHeads.Length < kd)
            throw new ArgumentException($"'queryHeads':{queryHeads.Length} must hold {kd}");
        var result = SearchMany(queryHeads[..kd].ToArray(), 1, k, 1);
        return result[0];
    }

    /// <summary>
    /// The fused score the evaluator ranks by, given per-head cosines z [ScoringHeads]:
    /// <see cref="PostFusion.FuseBounded"/> (kept here for callers of the evaluator).
    /// </summary>
    public static float FusedScore(ReadOnlySpan<float> z, float beta) => PostFusion.FuseBounded(z, beta);

    /// <summary>
    /// The plain definition of <see cref="SearchMany"/>: every (query, item) pair scored by per-head dot
    /// products (one FMA chain in dimension order, as the kernels), fused by <see cref="FusedScore"/>,
    /// then a full sort by score (descending) and item index (ascending). Slow; for tests.
    /// </summary>
    public static (int[] Items, float[] Scores)[] SearchReference(MmseModel model, ReadOnlySpan<float> items, int count,
        ReadOnlySpan<float> queryHeads, int queries, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        int d = model.Dim, kd = model.Heads * d, kq = model.ScoringHeads;
        k = Math.Min(Math.Max(k, 0), count);
        var results = new (int[] Items, float[] Scores)[queries];
        var scoring = new float[kq * d];
        var z = new float[kq];
        var scores = new float[count];
        var order = new int[count];
        for (var q = 0; q < queries; q++)
        {
            model.ScoringQuery(queryHeads.Slice(q * kd, kd), scoring);
            for (var i = 0; i < count; i++)
            {
                for (var h = 0; h < kq; h++)
                {
                    var sum = 0f;
                    for (var p = 0; p < d; p++)
                        sum = MathF.FusedMultiplyAdd(scoring[h * d + p], items[i * d + p], sum);
                    z[h] = sum;
                }
                scores[i] = FusedScore(z, model.Beta);
                order[i] = i;
            }
            Array.Sort(order, (x, y) => scores[x] != scores[y] ? scores[y].CompareTo(scores[x]) : x.CompareTo(y));
            results[q] = (order[..k], order[..k].Select(i => scores[i]).ToArray());
        }
        return results;
    }

    /// <summary>Exact top-k for many queries [count, Heads*Dim], in parallel over blocks of queries.</summary>
    public (int[] Items, float[] Scores)[] SearchMany(float[] queryHeads, int queries, int k, int threads = 0,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(queryHeads);
        int d = Model.Dim, kd = Model.Heads * d, kq = Model.ScoringHeads;
        if (queryHeads.Length < (long)queries * kd)
            throw new ArgumentException($"'queryHeads':{queryHeads.Length} must hold {queries} x {kd}");
        k = Math.Min(Math.Max(k, 0), Count);
        var results = new (int[] Items, float[] Scores)[queries];
        if (queries == 0)
            return results;
        var kernel = ResolvedKernel;
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
                    Model.ScoringQuery(queryHeads.AsSpan((q0 + q) * kd, kd), rows.AsSpan(((tile * tileRows) + (q % perTile * kq)) * d, kq * d));
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
                            Select(zt, kq, inTile, heaps.AsSpan(t * perTile, inTile), c, zk);
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
            {
                var a = pRows + offset + (r * d);
                var z = pz + (r * Panel);
                switch (kernel)
                {
                    case ScoringKernel.Avx512:
                        Kernel12x32Avx512(a, d, b, z);
                        break;
                    case ScoringKernel.Avx2:
                        for (var r0 = 0; r0 < TileRows; r0 += 6)
                        {
                            Kernel6x16Avx2(a + (r0 * d), d, b, z + (r0 * Panel));
                            Kernel6x16Avx2(a + (r0 * d), d, b + 16, z + (r0 * Panel) + 16);
                        }
                        break;
                    default:
                        KernelScalar(a, d, b, z);
                        break;
                }
            }
        }
    }

    /// <summary>Offers to each query's top-k the items of the panel whose best head reaches its threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    private void Select(float[] zt, int kq, int inTile, Span<TopK> heaps, int c, float[] zk)
    {
        var j0 = c * Panel;
        var valid = Count - j0 >= Panel ? uint.MaxValue : (1u << (Count - j0)) - 1;
        var beta = Model.Beta;
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
                // Fuse the panel's items eight at a time (the same bits as FusedScore) and offer those that reach the threshold.
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
                    score = FusedScore(zk, beta);
                }
                heap.Push(score, j0 + x);
            }
        }
    }

    /// <summary>12 rows x 32 items in 24 AVX-512 accumulators; one FMA chain per score, dimension order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    private static unsafe void Kernel12x32Avx512(float* a, int d, float* b, float* z)
    {
        Vector512<float> x00 = default, x01 = default, x10 = default, x11 = default, x20 = default, x21 = default,
            x30 = default, x31 = default, x40 = default, x41 = default, x50 = default, x51 = default,
            x60 = default, x61 = default, x70 = default, x71 = default, x80 = default, x81 = default,
            x90 = default, x91 = default, xa0 = default, xa1 = default, xb0 = default, xb1 = default;
        float* a0 = a, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, a4 = a3 + d, a5 = a4 + d,
            a6 = a5 + d, a7 = a6 + d, a8 = a7 + d, a9 = a8 + d, aa = a9 + d, ab = aa + d;
        var bp = b;
        for (var p = 0; p < d; p++, bp += Panel)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            var v = Vector512.Create(a0[p]);
            x00 = Avx512F.FusedMultiplyAdd(v, b0, x00); x01 = Avx512F.FusedMultiplyAdd(v, b1, x01);
            v = Vector512.Create(a1[p]);
            x10 = Avx512F.FusedMultiplyAdd(v, b0, x10); x11 = Avx512F.FusedMultiplyAdd(v, b1, x11);
            v = Vector512.Create(a2[p]);
            x20 = Avx512F.FusedMultiplyAdd(v, b0, x20); x21 = Avx512F.FusedMultiplyAdd(v, b1, x21);
            v = Vector512.Create(a3[p]);
            x30 = Avx512F.FusedMultiplyAdd(v, b0, x30); x31 = Avx512F.FusedMultiplyAdd(v, b1, x31);
            v = Vector512.Create(a4[p]);
            x40 = Avx512F.FusedMultiplyAdd(v, b0, x40); x41 = Avx512F.FusedMultiplyAdd(v, b1, x41);
            v = Vector512.Create(a5[p]);
            x50 = Avx512F.FusedMultiplyAdd(v, b0, x50); x51 = Avx512F.FusedMultiplyAdd(v, b1, x51);
            v = Vector512.Create(a6[p]);
            x60 = Avx512F.FusedMultiplyAdd(v, b0, x60); x61 = Avx512F.FusedMultiplyAdd(v, b1, x61);
            v = Vector512.Create(a7[p]);
            x70 = Avx512F.FusedMultiplyAdd(v, b0, x70); x71 = Avx512F.FusedMultiplyAdd(v, b1, x71);
            v = Vector512.Create(a8[p]);
            x80 = Avx512F.FusedMultiplyAdd(v, b0, x80); x81 = Avx512F.FusedMultiplyAdd(v, b1, x81);
            v = Vector512.Create(a9[p]);
            x90 = Avx512F.FusedMultiplyAdd(v, b0, x90); x91 = Avx512F.FusedMultiplyAdd(v, b1, x91);
            v = Vector512.Create(aa[p]);
            xa0 = Avx512F.FusedMultiplyAdd(v, b0, xa0); xa1 = Avx512F.FusedMultiplyAdd(v, b1, xa1);
            v = Vector512.Create(ab[p]);
            xb0 = Avx512F.FusedMultiplyAdd(v, b0, xb0); xb1 = Avx512F.FusedMultiplyAdd(v, b1, xb1);
        }
        x00.Store(z); x01.Store(z + 16); x10.Store(z + 32); x11.Store(z + 48);
        x20.Store(z + 64); x21.Store(z + 80); x30.Store(z + 96); x31.Store(z + 112);
        x40.Store(z + 128); x41.Store(z + 144); x50.Store(z + 160); x51.Store(z + 176);
        x60.Store(z + 192); x61.Store(z + 208); x70.Store(z + 224); x71.Store(z + 240);
        x80.Store(z + 256); x81.Store(z + 272); x90.Store(z + 288); x91.Store(z + 304);
        xa0.Store(z + 320); xa1.Store(z + 336); xb0.Store(z + 352); xb1.Store(z + 368);
    }

    /// <summary>6 rows x 16 items (of a 32-wide panel) in 12 AVX2 accumulators; the same FMA chain as the other kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    private static unsafe void Kernel6x16Avx2(float* a, int d, float* b, float* z)
    {
        Vector256<float> x00 = default, x01 = default, x10 = default, x11 = default, x20 = default, x21 = default,
            x30 = default, x31 = default, x40 = default, x41 = default, x50 = default, x51 = default;
        float* a0 = a, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, a4 = a3 + d, a5 = a4 + d;
        var bp = b;
        for (var p = 0; p < d; p++, bp += Panel)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var v = Vector256.Create(a0[p]);
            x00 = Fma.MultiplyAdd(v, b0, x00); x01 = Fma.MultiplyAdd(v, b1, x01);
            v = Vector256.Create(a1[p]);
            x10 = Fma.MultiplyAdd(v, b0, x10); x11 = Fma.MultiplyAdd(v, b1, x11);
            v = Vector256.Create(a2[p]);
            x20 = Fma.MultiplyAdd(v, b0, x20); x21 = Fma.MultiplyAdd(v, b1, x21);
            v = Vector256.Create(a3[p]);
            x30 = Fma.MultiplyAdd(v, b0, x30); x31 = Fma.MultiplyAdd(v, b1, x31);
            v = Vector256.Create(a4[p]);
            x40 = Fma.MultiplyAdd(v, b0, x40); x41 = Fma.MultiplyAdd(v, b1, x41);
            v = Vector256.Create(a5[p]);
            x50 = Fma.MultiplyAdd(v, b0, x50); x51 = Fma.MultiplyAdd(v, b1, x51);
        }
        x00.Store(z); x01.Store(z + 8); x10.Store(z + Panel); x11.Store(z + Panel + 8);
        x20.Store(z + (2 * Panel)); x21.Store(z + (2 * Panel) + 8); x30.Store(z + (3 * Panel)); x31.Store(z + (3 * Panel) + 8);
        x40.Store(z + (4 * Panel)); x41.Store(z + (4 * Panel) + 8); x50.Store(z + (5 * Panel)); x51.Store(z + (5 * Panel) + 8);
    }

    /// <summary>The 12 x 32 tile with scalar FMAs (machines without AVX2/FMA).</summary>
    private static unsafe void KernelScalar(float* a, int d, float* b, float* z)
    {
        for (var r = 0; r < TileRows; r++)
        {
            for (var x = 0; x < Panel; x++)
            {
                var sum = 0f;
                for (var p = 0; p < d; p++)
                    sum = MathF.FusedMultiplyAdd(a[(r * d) + p], b[(p * Panel) + x], sum);
                z[(r * Panel) + x] = sum;
            }
        }
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

