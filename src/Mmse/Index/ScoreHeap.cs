using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mmse.Index;

/// <summary>
/// A binary min-heap of (score, node) on two parallel arrays: the top is the lowest score.
/// Holds the ef best results (worst on top); with negated scores it is the candidate queue.
/// </summary>
internal sealed class ScoreHeap(int capacity)
{
    private float[] _scores = new float[Math.Max(4, capacity)];
    private int[] _nodes = new int[Math.Max(4, capacity)];

    public int Count { get; private set; }

    public float TopScore => _scores[0];

    public int TopNode => _nodes[0];

    public void Clear() => Count = 0;

    // Push and Pop index through refs (no bounds checks): the heap sits in the innermost search loop.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(float score, int node)
    {
        if (Count == _scores.Length)
            GrowArrays();
        var i = Count++;
        ref var scores = ref MemoryMarshal.GetArrayDataReference(_scores);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            var ps = Unsafe.Add(ref scores, parent);
            if (ps <= score)
                break;
            Unsafe.Add(ref scores, i) = ps;
            Unsafe.Add(ref nodes, i) = Unsafe.Add(ref nodes, parent);
            i = parent;
        }
        Unsafe.Add(ref scores, i) = score;
        Unsafe.Add(ref nodes, i) = node;
    }

    private void GrowArrays()
    {
        Array.Resize(ref _scores, Count * 2);
        Array.Resize(ref _nodes, Count * 2);
    }

    public void Pop()
    {
        var n = --Count;
        if (n <= 0)
        {
            Count = Math.Max(n, 0);
            return;
        }
        ref var scores = ref MemoryMarshal.GetArrayDataReference(_scores);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        var score = Unsafe.Add(ref scores, n);
        var node = Unsafe.Add(ref nodes, n);
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= n)
                break;
            var cs = Unsafe.Add(ref scores, child);
            if (child + 1 < n)
            {
                var right = Unsafe.Add(ref scores, child + 1);
                if (right < cs)
                {
                    child++;
                    cs = right;
                }
            }
            if (cs >= score)
                break;
            Unsafe.Add(ref scores, i) = cs;
            Unsafe.Add(ref nodes, i) = Unsafe.Add(ref nodes, child);
            i = child;
        }
        Unsafe.Add(ref scores, i) = score;
        Unsafe.Add(ref nodes, i) = node;
    }

    /// <summary>Keeps the best <paramref name="limit"/> by score: push, then drop the worst when over.</summary>
    public void PushBounded(float score, int node, int limit)
    {
        if (Count < limit)
        {
            Push(score, node);
        }
        else if (score > _scores[0])
        {
            Push(score, node);
            Pop();
        }
    }

    /// <summary>Empties the heap into the arrays best first; returns the count.</summary>
    public int DrainDescending(Span<float> scores, Span<int> nodes)
    {
        var n = Count;
        for (var i = n - 1; i >= 0; i--)
        {
            scores[i] = _scores[0];
            nodes[i] = _nodes[0];
            Pop();
        }
        return n;
    }
}
