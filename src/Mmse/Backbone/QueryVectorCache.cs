namespace Mmse.Backbone;

/// <summary>
/// A bounded least-recently-used map from query text to its vector, so a repeated query costs
/// a dictionary lookup instead of a transformer run. Thread-safe (one lock; a lookup is far
/// cheaper than the encoding it saves). Callers must not change a returned vector.
/// </summary>
public sealed class QueryVectorCache
{
    private readonly Dictionary<string, LinkedListNode<(string Query, float[] Vector)>> _map;
    private readonly LinkedList<(string Query, float[] Vector)> _recency = new();
    private readonly Lock _lock = new();

    /// <summary>A cache holding at most <paramref name="capacity"/> queries.</summary>
    public QueryVectorCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _map = new Dictionary<string, LinkedListNode<(string, float[])>>(StringComparer.Ordinal);
    }

    /// <summary>Most queries kept.</summary>
    public int Capacity { get; }

    /// <summary>Queries held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _map.Count;
        }
    }

    /// <summary>The cached vector of <paramref name="query"/>, marking it most recently used.</summary>
    public bool TryGet(string query, out float[] vector)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(query, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                vector = node.Value.Vector;
                return true;
            }
        }
        vector = [];
        return false;
    }

    /// <summary>Adds or refreshes <paramref name="query"/>; the least recently used entry leaves when full.</summary>
    public void Add(string query, float[] vector)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(vector);
        lock (_lock)
        {
            if (_map.TryGetValue(query, out var node))
            {
                _recency.Remove(node);
                node.Value = (query, vector);
                _recency.AddFirst(node);
                return;
            }
            if (_map.Count >= Capacity)
            {
                var last = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(last.Value.Query);
            }
            _map[query] = _recency.AddFirst((query, vector));
        }
    }
}
