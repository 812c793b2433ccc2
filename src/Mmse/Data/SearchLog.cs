namespace Mmse.Data;

/// <summary>One displayed item of a request at the format boundary.</summary>
public readonly record struct LogItem(string Id, UserAction Action = UserAction.None);

/// <summary>
/// Search requests in columns. Request r's displayed items, in display order, are
/// <c>Items[Offsets[r] .. Offsets[r + 1]]</c> (dense catalog indices) with their
/// <c>Actions</c>. An item that appeared twice in one request is stored once, at its first
/// position, with the deepest action (the merge is counted in <see cref="DuplicateItemsMerged"/>).
/// </summary>
public sealed class SearchLog
{
    internal SearchLog(string[] queries, string?[] users, long[] times, int[] offsets, int[] items,
        UserAction[] actions, long duplicateItemsMerged, long unknownItemIds)
    {
        Queries = queries;
        Users = users;
        Times = times;
        Offsets = offsets;
        Items = items;
        Actions = actions;
        DuplicateItemsMerged = duplicateItemsMerged;
        UnknownItemIds = unknownItemIds;
    }

    public int Count => Queries.Length;

    public string[] Queries { get; }

    public string?[] Users { get; }

    /// <summary>Unix time in milliseconds per request; <see cref="NoTime"/> when absent.</summary>
    public long[] Times { get; }

    /// <summary>[Count + 1] start of each request's items in <see cref="Items"/>.</summary>
    public int[] Offsets { get; }

    /// <summary>[total displayed] dense catalog indices.</summary>
    public int[] Items { get; }

    /// <summary>[total displayed] action per displayed item.</summary>
    public UserAction[] Actions { get; }

    /// <summary>Items that appeared more than once within a request (merged on read).</summary>
    public long DuplicateItemsMerged { get; }

    /// <summary>Displayed item ids that were not in the catalog (only with skip-bad; dropped).</summary>
    public long UnknownItemIds { get; }

    public const long NoTime = long.MinValue;

    public ReadOnlySpan<int> ItemsOf(int request) =>
        Items.AsSpan(Offsets[request], Offsets[request + 1] - Offsets[request]);

    public ReadOnlySpan<UserAction> ActionsOf(int request) =>
        Actions.AsSpan(Offsets[request], Offsets[request + 1] - Offsets[request]);

    /// <summary>A log of a subset of the requests (for splits), sharing nothing mutable.</summary>
    public SearchLog Subset(ReadOnlySpan<int> requests)
    {
        var builder = new SearchLogBuilder();
        foreach (var r in requests)
            builder.Add(Queries[r], Users[r], Times[r], ItemsOf(r), ActionsOf(r));
        return builder.Build();
    }
}

/// <summary>Builds a <see cref="SearchLog"/> request by request.</summary>
public sealed class SearchLogBuilder
{
    private readonly List<string> _queries = [];
    private readonly List<string?> _users = [];
    private readonly List<long> _times = [];
    private readonly List<int> _offsets = [0];
    private int[] _items = new int[1024];
    private UserAction[] _actions = new UserAction[1024];
    private int _total;
    private readonly StringPool _pool = new();

    public int Count => _queries.Count;

    public long DuplicateItemsMerged { get; set; }

    public long UnknownItemIds { get; set; }

    /// <summary>Requests with more items than this find repeats through a hash map instead of a scan.</summary>
    internal const int LinearScanLimit = 128;

    private Dictionary<int, int>? _positions;

    /// <summary>Adds a request. Repeated items are merged (first position, deepest action).</summary>
    public void Add(string query, string? user, long time, ReadOnlySpan<int> items, ReadOnlySpan<UserAction> actions)
    {
        if (items.Length != actions.Length)
            throw new ArgumentException($"'actions':{actions.Length} must equal 'items':{items.Length}");
        if (_total + items.Length > _items.Length)
        {
            var size = Math.Max(_items.Length * 2, _total + items.Length);
            Array.Resize(ref _items, size);
            Array.Resize(ref _actions, size);
        }
        var start = _total;
        // Display lists are short (20-40 items), where a SIMD scan beats hashing; truth lists
        // (every relevant catalog item) can hold thousands, so past a bound use a position map.
        Dictionary<int, int>? positions = null;
        if (items.Length > LinearScanLimit)
        {
            positions = _positions ??= [];
            positions.Clear();
        }
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            int existing;
            if (positions is null)
            {
                existing = _items.AsSpan(start, _total - start).IndexOf(item);
            }
            else if (positions.TryGetValue(item, out var at))
            {
                existing = at;
            }
            else
            {
                existing = -1;
                positions.Add(item, _total - start);
            }
            if (existing >= 0)
            {
                DuplicateItemsMerged++;
                if (actions[i] > _actions[start + existing])
                    _actions[start + existing] = actions[i];
                continue;
            }
            _items[_total] = item;
            _actions[_total] = actions[i];
            _total++;
        }
        _queries.Add(query);
        _users.Add(user is null ? null : _pool.Intern(user));
        _times.Add(time);
        _offsets.Add(_total);
    }

    /// <summary>Reserves room so that growing to this size allocates nothing more (fewer large-object GCs on big reads).</summary>
    internal void EnsureCapacity(int requests, int items)
    {
        _queries.EnsureCapacity(requests);
        _users.EnsureCapacity(requests);
        _times.EnsureCapacity(requests);
        _offsets.EnsureCapacity(requests + 1);
        if (items > _items.Length)
        {
            Array.Resize(ref _items, items);
            Array.Resize(ref _actions, items);
        }
    }

    /// <summary>Displayed items added so far (after merging duplicates).</summary>
    internal int TotalItems => _total;

    /// <summary>Appends every request of <paramref name="other"/> (a chunk read in parallel), in order.</summary>
    internal void Append(SearchLogBuilder other)
    {
        if (_total + other._total > _items.Length)
        {
            var size = Math.Max(_items.Length * 2, _total + other._total);
            Array.Resize(ref _items, size);
            Array.Resize(ref _actions, size);
        }
        other._items.AsSpan(0, other._total).CopyTo(_items.AsSpan(_total));
        other._actions.AsSpan(0, other._total).CopyTo(_actions.AsSpan(_total));
        for (var r = 0; r < other.Count; r++)
        {
            _queries.Add(_pool.Intern(other._queries[r]));
            var user = other._users[r];
            _users.Add(user is null ? null : _pool.Intern(user));
            _times.Add(other._times[r]);
            _offsets.Add(_total + other._offsets[r + 1]);
        }
        _total += other._total;
        DuplicateItemsMerged += other.DuplicateItemsMerged;
        UnknownItemIds += other.UnknownItemIds;
    }

    public SearchLog Build() => new(
        [.. _queries], [.. _users], [.. _times], [.. _offsets],
        _items.AsSpan(0, _total).ToArray(), _actions.AsSpan(0, _total).ToArray(),
        DuplicateItemsMerged, UnknownItemIds);
}
