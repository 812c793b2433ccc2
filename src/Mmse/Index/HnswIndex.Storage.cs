using System.Runtime.InteropServices;

namespace Mmse.Index;

// Native and mapped storage: the int8 quantiser, allocation and growth, copy-on-write of a mapped index, freeing.
public sealed unsafe partial class HnswIndex
{

    private void TrainQuantizer()
    {
        for (var d = 0; d < _dim; d++)
        {
            var min = float.PositiveInfinity;
            var max = float.NegativeInfinity;
            for (var i = 0; i < _count; i++)
            {
                var x = _vectors[(long)i * _dim + d];
                min = MathF.Min(min, x);
                max = MathF.Max(max, x);
            }
            if (_count == 0)
                min = max = 0;
            _quantOffset[d] = min;
            _quantScale[d] = max > min ? (max - min) / 255f : 1f;
        }
        for (var i = 0; i < _count; i++)
            Encode(i);
    }

    private void Encode(int position)
    {
        var v = _vectors + (long)position * _dim;
        var c = _codes + (long)position * _dim;
        for (var d = 0; d < _dim; d++)
            c[d] = (byte)Math.Clamp(MathF.Round((v[d] - _quantOffset[d]) / _quantScale[d]), 0f, 255f);
    }

    private static T* Alloc<T>(long count) where T : unmanaged =>
        (T*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, count * sizeof(T)), 64);

    private static T* Realloc<T>(T* p, long count) where T : unmanaged =>
        (T*)NativeMemory.AlignedRealloc(p, (nuint)Math.Max(1, count * sizeof(T)), 64);

    /// <summary>Native buffers for <paramref name="capacity"/> items (graph and tombstones zeroed).</summary>
    private void Allocate(int capacity, long upperCapacity)
    {
        _capacity = capacity;
        _vectors = Alloc<float>((long)capacity * _dim);
        if (_options.Quantization == VectorQuantization.Int8)
        {
            _codes = Alloc<byte>((long)capacity * _dim);
            _quantScale = Alloc<float>(_dim);
            _quantOffset = Alloc<float>(_dim);
        }
        _links0 = Alloc<int>((long)capacity * (_m0 + 1));
        NativeMemory.Clear(_links0, (nuint)((long)capacity * (_m0 + 1) * sizeof(int)));
        _levels = Alloc<int>(capacity);
        _upperOffsets = Alloc<long>(capacity);
        _deleted = Alloc<byte>(capacity);
        NativeMemory.Clear(_deleted, (nuint)capacity);
        _upperCapacity = Math.Max(16, upperCapacity);
        _upper = Alloc<int>(_upperCapacity);
    }

    private void Grow(int capacity)
    {
        capacity = Math.Max(capacity, 16);
        _vectors = Realloc(_vectors, (long)capacity * _dim);
        if (_codes != null)
            _codes = Realloc(_codes, (long)capacity * _dim);
        _links0 = Realloc(_links0, (long)capacity * (_m0 + 1));
        _levels = Realloc(_levels, capacity);
        _upperOffsets = Realloc(_upperOffsets, capacity);
        _deleted = Realloc(_deleted, capacity);
        _capacity = capacity;
    }

    private void EnsureUpperCapacity(long needed)
    {
        if (needed <= _upperCapacity)
            return;
        _upperCapacity = Math.Max(needed, _upperCapacity * 2);
        _upper = Realloc(_upper, _upperCapacity);
    }

    /// <summary>Copies a mapped index into native memory so it can be modified.</summary>
    private void EnsureOwned()
    {
        if (_mapped is null)
            return;
        var vectors = _vectors;
        var codes = _codes;
        var scale = _quantScale;
        var offset = _quantOffset;
        var links0 = _links0;
        var levels = _levels;
        var upperOffsets = _upperOffsets;
        var upper = _upper;
        var deleted = _deleted;
        var ids = new List<string>(_count + 16);
        for (var p = 0; p < _count; p++)
            ids.Add(IdAtUnlocked(p));
        var count = _count;
        var capacity = Math.Max(16, count + count / 4);
        Allocate(capacity, _upperLength + 1024);
        Copy(vectors, _vectors, (long)count * _dim);
        if (codes != null)
        {
            Copy(codes, _codes, (long)count * _dim);
            Copy(scale, _quantScale, _dim);
            Copy(offset, _quantOffset, _dim);
        }
        Copy(links0, _links0, (long)count * (_m0 + 1));
        Copy(levels, _levels, count);
        Copy(upperOffsets, _upperOffsets, count);
        Copy(upper, _upper, _upperLength);
        Copy(deleted, _deleted, count);
        _ids = ids;
        _idOffsets = null;
        _idBytes = null;
        var mapped = _mapped;
        _mapped = null;
        mapped.Dispose();
        _searchers.Clear();
    }

    private static void Copy<T>(T* from, T* to, long count) where T : unmanaged =>
        Buffer.MemoryCopy(from, to, count * sizeof(T), count * sizeof(T));

    private void TakeStorage(HnswIndex other)
    {
        _options = other._options;
        _dim = other._dim;
        _m = other._m;
        _m0 = other._m0;
        _count = other._count;
        _capacity = other._capacity;
        _vectors = other._vectors;
        _codes = other._codes;
        _quantScale = other._quantScale;
        _quantOffset = other._quantOffset;
        _links0 = other._links0;
        _levels = other._levels;
        _upperOffsets = other._upperOffsets;
        _upper = other._upper;
        _upperLength = other._upperLength;
        _upperCapacity = other._upperCapacity;
        _deleted = other._deleted;
        _deletedCount = other._deletedCount;
        _entryPoint = other._entryPoint;
        _maxLevel = other._maxLevel;
        _ids = other._ids;
        _idOffsets = other._idOffsets;
        _idBytes = other._idBytes;
        _positionById = other._positionById;
        _mapped = other._mapped;
        other._mapped = null;
        other._vectors = null;
        other._codes = null;
        other._quantScale = other._quantOffset = null;
        other._links0 = null;
        other._levels = null;
        other._upperOffsets = null;
        other._upper = null;
        other._deleted = null;
        other.Dispose();
    }

    private void FreeStorage()
    {
        if (_mapped is not null)
        {
            _mapped.Dispose();
            _mapped = null;
        }
        else
        {
            NativeMemory.AlignedFree(_vectors);
            NativeMemory.AlignedFree(_codes);
            NativeMemory.AlignedFree(_quantScale);
            NativeMemory.AlignedFree(_quantOffset);
            NativeMemory.AlignedFree(_links0);
            NativeMemory.AlignedFree(_levels);
            NativeMemory.AlignedFree(_upperOffsets);
            NativeMemory.AlignedFree(_upper);
            NativeMemory.AlignedFree(_deleted);
        }
        _vectors = null;
        _codes = null;
        _quantScale = _quantOffset = null;
        _links0 = null;
        _levels = null;
        _upperOffsets = null;
        _upper = null;
        _deleted = null;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _rw.EnterWriteLock();
        try
        {
            _disposed = true;
            FreeStorage();
        }
        finally
        {
            _rw.ExitWriteLock();
        }
        GC.SuppressFinalize(this);
    }
}
