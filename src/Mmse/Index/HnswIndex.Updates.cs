using System.Runtime.InteropServices;
using Mmse.Numerics;

namespace Mmse.Index;

// Changes after build: add, tombstone delete, compaction, the id -> position map.
public sealed unsafe partial class HnswIndex
{
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
}
