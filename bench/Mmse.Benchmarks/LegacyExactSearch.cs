using System.Runtime.Intrinsics;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Benchmarks;

/// <summary>
/// The exact search as it was before the packed-panel kernel (commit 54551c3): 32 queries x K heads
/// against [Dim, 1024] transposed item blocks through <see cref="Gemm.Multiply"/>, then a per-query pass
/// over the score matrix with <see cref="PostFusion.Fuse(ReadOnlySpan{float}, float)"/> and a 2k buffer
/// cut by quickselect. Kept only so `eval-perf` can report a same-run ratio on a shared machine.
/// </summary>
public sealed class LegacyExactSearch
{
    private const int QueryBlock = 32;
    private const int ItemBlock = 1024;
    private readonly float[] _panels; // per block of ItemBlock items, a contiguous [Dim, nb] transposed panel
    private readonly int _threads;

    public LegacyExactSearch(MmseModel model, float[] items, int count, int threads = 0)
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

    public MmseModel Model { get; }

    /// <summary>Items searched.</summary>
    public int Count { get; }

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
                                var hits = Vector256.GreaterThanOrEqual(best8, Vector256.Create(heap.Threshold)).ExtractMostSignificantBits();
                                while (hits != 0)
                                {
                                    Offer(heap, z, q, kq, nb, j + System.Numerics.BitOperations.TrailingZeroCount(hits), j0, zk);
                                    hits &= hits - 1;
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
    /// The best k (score, item) of a stream: candidates above the current threshold are appended to a
    /// 2k buffer, and a full buffer is cut back to its best k by quickselect, which costs O(1) per
    /// candidate where a heap costs a sift (a top-1000 over 100k random items sees ~k ln(N/k) = 4,600
    /// candidates per query). Score and item are packed into one ulong key whose order is "higher score,
    /// then lower item index", so selection is exact and deterministic, ties included.
    /// </summary>
    private sealed class TopK(int capacity)
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

        /// <summary>Keeps the best k keys (unordered) and raises the threshold to the worst of them.</summary>
        private void Compact()
        {
            SelectTop(_keys, _count, capacity);
            _count = capacity;
            var min = ulong.MaxValue;
            for (var i = 0; i < capacity; i++)
                min = Math.Min(min, _keys[i]);
            _thresholdKey = min;
            _full = true;
            Threshold = Unpack(min).Score;
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
                SelectTop(_keys, _count, capacity);
            var top = _keys.AsSpan(0, n).ToArray();
            Array.Sort(top);
            Array.Reverse(top);
            var items = new int[n];
            var scores = new float[n];
            for (var i = 0; i < n; i++)
                (scores[i], items[i]) = Unpack(top[i]);
            return (items, scores);
        }
    }
}
