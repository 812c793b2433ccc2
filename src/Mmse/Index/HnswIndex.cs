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
public sealed unsafe partial class HnswIndex : IPositionIds, IDisposable
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
    private FileImage? _mapped;  // a mapped file, or a private copy of one (Load)
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
        // Native buffers only: a mapping's handles and a private copy have finalizers of their own.
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

    /// <summary>True while the index reads straight from a memory-mapped file (not a private copy, not owned buffers).</summary>
    public bool IsMemoryMapped => _mapped is MappedFile;

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
}
