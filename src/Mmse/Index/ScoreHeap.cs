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

    public void Push(float score, int node)
    {
        if (Count == _scores.Length)
        {
            Array.Resize(ref _scores, Count * 2);
            Array.Resize(ref _nodes, Count * 2);
        }
        var i = Count++;
        var scores = _scores;
        var nodes = _nodes;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (scores[parent] <= score)
                break;
            scores[i] = scores[parent];
            nodes[i] = nodes[parent];
            i = parent;
        }
        scores[i] = score;
        nodes[i] = node;
    }

    public void Pop()
    {
        var n = --Count;
        if (n == 0)
            return;
        var scores = _scores;
        var nodes = _nodes;
        var score = scores[n];
        var node = nodes[n];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= n)
                break;
            if (child + 1 < n && scores[child + 1] < scores[child])
                child++;
            if (scores[child] >= score)
                break;
            scores[i] = scores[child];
            nodes[i] = nodes[child];
            i = child;
        }
        scores[i] = score;
        nodes[i] = node;
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
