using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Mmse.Internals;

namespace Mmse.Index;

public sealed unsafe partial class HnswIndex
{
    private const int FormatVersion = 1;
    private const int HeaderBytes = 256;
    private const int TrailerBytes = 16;
    private const int SectionCount = 10;
    private const int Alignment = 64;

    private static ReadOnlySpan<byte> Magic => "MMSEHNSW"u8;

    private static ReadOnlySpan<byte> EndMagic => "HNSWEND1"u8;

    private static readonly string[] SectionNames =
        ["vectors", "int8 codes", "quantiser", "layer-0 links", "levels", "upper offsets", "upper links", "id offsets", "id bytes", "tombstones"];

    private enum Section { Vectors, Codes, Quant, Links0, Levels, UpperOffsets, Upper, IdOffsets, IdBytes, Deleted }

    private readonly record struct FileLayout(long[] Offsets, long[] Lengths, long FileLength);

    private long IdByteCount()
    {
        if (_ids is null)
            return _count == 0 || _idOffsets == null ? 0 : _idOffsets[_count];
        long total = 0;
        foreach (var id in _ids)
            total += Encoding.UTF8.GetByteCount(id);
        return total;
    }

    private FileLayout Layout() => Layout(_count, _dim, _m0, _codes != null, _upperLength, IdByteCount());

    private static FileLayout Layout(int count, int dim, int m0, bool int8, long upperLength, long idBytes)
    {
        var lengths = new long[SectionCount];
        lengths[(int)Section.Vectors] = (long)count * dim * sizeof(float);
        lengths[(int)Section.Codes] = int8 ? (long)count * dim : 0;
        lengths[(int)Section.Quant] = int8 ? 2L * dim * sizeof(float) : 0;
        lengths[(int)Section.Links0] = (long)count * (m0 + 1) * sizeof(int);
        lengths[(int)Section.Levels] = (long)count * sizeof(int);
        lengths[(int)Section.UpperOffsets] = (long)count * sizeof(long);
        lengths[(int)Section.Upper] = upperLength * sizeof(int);
        lengths[(int)Section.IdOffsets] = (count + 1L) * sizeof(long);
        lengths[(int)Section.IdBytes] = idBytes;
        lengths[(int)Section.Deleted] = count;
        var offsets = new long[SectionCount];
        long at = HeaderBytes;
        for (var i = 0; i < SectionCount; i++)
        {
            at = (at + Alignment - 1) / Alignment * Alignment;
            offsets[i] = at;
            at += lengths[i];
        }
        return new FileLayout(offsets, lengths, at + TrailerBytes);
    }

    /// <summary>
    /// Writes the index as one file (atomically: a temp file renamed into place): header,
    /// 64-byte aligned sections, then a CRC-32C of everything before it and an end marker.
    /// </summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _rw.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var layout = Layout();
            using var file = new AtomicFile(path, 1 << 20);
            var writer = new CrcWriter(file.Stream);
            var header = new byte[HeaderBytes];
            WriteHeader(header, layout);
            writer.Write(header);
            long at = HeaderBytes;
            for (var i = 0; i < SectionCount; i++)
            {
                writer.Zeros(layout.Offsets[i] - at);
                WriteSection((Section)i, writer);
                at = layout.Offsets[i] + layout.Lengths[i];
            }
            var trailer = new byte[TrailerBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(trailer, writer.Crc);
            EndMagic.CopyTo(trailer.AsSpan(8));
            file.Stream.Write(trailer);
            file.Commit();
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }

    private void WriteHeader(Span<byte> h, FileLayout layout)
    {
        Magic.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], HeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], _dim);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], _count);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], _m);
        BinaryPrimitives.WriteInt32LittleEndian(h[28..], _options.EfConstruction);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], _options.EfSearch);
        BinaryPrimitives.WriteInt32LittleEndian(h[36..], _codes != null ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(h[40..], _options.Normalize ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(h[44..], _options.Seed);
        BinaryPrimitives.WriteInt32LittleEndian(h[48..], _entryPoint);
        BinaryPrimitives.WriteInt32LittleEndian(h[52..], _maxLevel);
        BinaryPrimitives.WriteInt32LittleEndian(h[56..], _deletedCount);
        BinaryPrimitives.WriteInt64LittleEndian(h[64..], _upperLength);
        BinaryPrimitives.WriteDoubleLittleEndian(h[72..], _options.ExactFilterFraction);
        BinaryPrimitives.WriteDoubleLittleEndian(h[80..], _options.CompactDeletedFraction);
        BinaryPrimitives.WriteInt64LittleEndian(h[88..], layout.FileLength);
        for (var i = 0; i < SectionCount; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(h[(96 + 16 * i)..], layout.Offsets[i]);
            BinaryPrimitives.WriteInt64LittleEndian(h[(104 + 16 * i)..], layout.Lengths[i]);
        }
    }

    private void WriteSection(Section section, CrcWriter w)
    {
        switch (section)
        {
            case Section.Vectors:
                w.Write(_vectors, (long)_count * _dim * sizeof(float));
                break;
            case Section.Codes:
                if (_codes != null)
                    w.Write(_codes, (long)_count * _dim);
                break;
            case Section.Quant:
                if (_codes != null)
                {
                    w.Write(_quantScale, (long)_dim * sizeof(float));
                    w.Write(_quantOffset, (long)_dim * sizeof(float));
                }
                break;
            case Section.Links0:
                w.Write(_links0, (long)_count * (_m0 + 1) * sizeof(int));
                break;
            case Section.Levels:
                w.Write(_levels, (long)_count * sizeof(int));
                break;
            case Section.UpperOffsets:
                w.Write(_upperOffsets, (long)_count * sizeof(long));
                break;
            case Section.Upper:
                w.Write(_upper, _upperLength * sizeof(int));
                break;
            case Section.IdOffsets:
                if (_ids is null)
                {
                    w.Write(_idOffsets, (_count + 1L) * sizeof(long));
                }
                else
                {
                    var buffer = new byte[8];
                    long at = 0;
                    w.Write(new byte[8]);
                    foreach (var id in _ids)
                    {
                        at += Encoding.UTF8.GetByteCount(id);
                        BinaryPrimitives.WriteInt64LittleEndian(buffer, at);
                        w.Write(buffer);
                    }
                }
                break;
            case Section.IdBytes:
                if (_ids is null)
                {
                    w.Write(_idBytes, _count == 0 ? 0 : _idOffsets[_count]);
                }
                else
                {
                    foreach (var id in _ids)
                        w.Write(Encoding.UTF8.GetBytes(id));
                }
                break;
            case Section.Deleted:
                w.Write(_deleted, _count);
                break;
            default:
                throw new InvalidOperationException($"unknown section {section}");
        }
    }

    /// <summary>
    /// Opens a saved index memory-mapped: nothing is copied into managed arrays; pages load on
    /// first touch. With <paramref name="verifyChecksum"/> (the default) the whole file is read
    /// once to check its CRC-32C (about 0.1-0.3 s per GB on this class of machine, see
    /// docs/index.md); without it only the header, the section table and the graph's offsets are
    /// checked, and traversal still bounds-checks every link, so a corrupt file can give wrong
    /// results but cannot crash the process.
    /// </summary>
    /// <exception cref="MmseArtifactException">Foreign, truncated or corrupt file.</exception>
    public static HnswIndex Open(string path, bool verifyChecksum = true) => OpenImage(path, verifyChecksum, privateCopy: false);

    /// <summary>
    /// Reads a saved index into memory of its own (the checks of <see cref="Open(string, bool)"/>, always with
    /// the checksum): unlike a mapping, the loaded index cannot be changed or crashed by a later
    /// write to the file (<c>cp other.idx items.idx</c> over it, a truncation, a delete). A
    /// file that changes while it is being read is refused (lengths, header or checksum differ).
    /// The server loads this way; it costs the file's size in memory and one read of it.
    /// </summary>
    /// <exception cref="MmseArtifactException">Foreign, truncated, corrupt, or changed while read.</exception>
    public static HnswIndex Load(string path) => OpenImage(path, verifyChecksum: true, privateCopy: true);

    private static HnswIndex OpenImage(string path, bool verifyChecksum, bool privateCopy)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowHelper.IfFileMissing(path);
        // The length of the opened stream, not FileInfo's: FileInfo describes a symbolic link
        // itself (a few bytes), while the stream and the memory map follow it to the index.
        long length;
        var header = new byte[HeaderBytes];
        int read;
        using (var stream = File.OpenRead(path))
        {
            length = stream.Length;
            read = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
        }
        var h = header.AsSpan(0, read);
        if (read < Magic.Length || !h[..Magic.Length].SequenceEqual(Magic))
        {
            var start = Encoding.ASCII.GetString(h[..Math.Min(8, read)]).Replace('\0', '.');
            ThrowHelper.Artifact(path, $"not an Mmse HNSW index (it starts with '{start}', expected 'MMSEHNSW')");
        }
        if (read < 16)
            ThrowHelper.Artifact(path, $"truncated: {length} bytes is shorter than the index header");
        var version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        if (version != FormatVersion)
            ThrowHelper.Artifact(path, $"index format version {version}; this build reads version {FormatVersion}");
        if (read < HeaderBytes || BinaryPrimitives.ReadInt32LittleEndian(h[12..]) != HeaderBytes)
            ThrowHelper.Artifact(path, $"truncated or corrupt header ({length} bytes)");
        var declared = BinaryPrimitives.ReadInt64LittleEndian(h[88..]);
        if (declared != length)
            ThrowHelper.Artifact(path, $"truncated or corrupt: the header says {declared} bytes, the file has {length}");

        var dim = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(h[20..]);
        var m = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
        var quant = BinaryPrimitives.ReadInt32LittleEndian(h[36..]);
        var entry = BinaryPrimitives.ReadInt32LittleEndian(h[48..]);
        var maxLevel = BinaryPrimitives.ReadInt32LittleEndian(h[52..]);
        var deletedCount = BinaryPrimitives.ReadInt32LittleEndian(h[56..]);
        var upperLength = BinaryPrimitives.ReadInt64LittleEndian(h[64..]);
        if (dim is < 1 or > 1 << 16 || count < 0 || m is < 2 or > 256 || quant is not (0 or 1)
            || entry < -1 || entry >= Math.Max(count, 1) || maxLevel is < -1 or > MaxLevel || (count > 0) != (entry >= 0)
            || deletedCount < 0 || deletedCount > count || upperLength < 0)
            ThrowHelper.Artifact(path, "corrupt header (a field is out of range)");
        var options = new HnswOptions
        {
            M = m,
            EfConstruction = Math.Max(1, BinaryPrimitives.ReadInt32LittleEndian(h[28..])),
            EfSearch = Math.Max(1, BinaryPrimitives.ReadInt32LittleEndian(h[32..])),
            Quantization = (VectorQuantization)quant,
            Normalize = BinaryPrimitives.ReadInt32LittleEndian(h[40..]) != 0,
            Seed = BinaryPrimitives.ReadInt32LittleEndian(h[44..]),
            ExactFilterFraction = BinaryPrimitives.ReadDoubleLittleEndian(h[72..]),
            CompactDeletedFraction = BinaryPrimitives.ReadDoubleLittleEndian(h[80..]),
        };
        var idBytesLength = BinaryPrimitives.ReadInt64LittleEndian(h[(104 + (16 * (int)Section.IdBytes))..]);
        if (idBytesLength < 0 || idBytesLength > length)
            ThrowHelper.Artifact(path, "corrupt header (id section length)");
        var expected = Layout(count, dim, 2 * m, quant == 1, upperLength, idBytesLength);
        for (var i = 0; i < SectionCount; i++)
        {
            var offset = BinaryPrimitives.ReadInt64LittleEndian(h[(96 + 16 * i)..]);
            var size = BinaryPrimitives.ReadInt64LittleEndian(h[(104 + 16 * i)..]);
            if (offset != expected.Offsets[i] || size != expected.Lengths[i])
                ThrowHelper.Artifact(path, $"corrupt header (section '{SectionNames[i]}' is not where the counts put it)");
        }
        if (expected.FileLength != length)
            ThrowHelper.Artifact(path, $"corrupt: the sections need {expected.FileLength} bytes, the file has {length}");

        FileImage mapped = privateCopy ? CopiedFile.Read(path, length, header) : new MappedFile(path);
        try
        {
            var b = mapped.Pointer;
            if (!new ReadOnlySpan<byte>(b + length - 8, 8).SequenceEqual(EndMagic))
                ThrowHelper.Artifact(path, "truncated or corrupt: the end marker is missing");
            if (verifyChecksum)
            {
                var stored = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(b + length - TrailerBytes, 8));
                var actual = CrcWriter.Compute(b, length - TrailerBytes);
                if (stored != actual)
                    ThrowHelper.Artifact(path, $"checksum mismatch (stored {stored:x8}, computed {actual:x8}): the file is corrupt");
            }
            var index = new HnswIndex(dim, options);
            index._mapped = mapped;
            index._count = count;
            index._capacity = count;
            index._vectors = (float*)(b + expected.Offsets[(int)Section.Vectors]);
            if (quant == 1)
            {
                index._codes = b + expected.Offsets[(int)Section.Codes];
                index._quantScale = (float*)(b + expected.Offsets[(int)Section.Quant]);
                index._quantOffset = index._quantScale + dim;
            }
            index._links0 = (int*)(b + expected.Offsets[(int)Section.Links0]);
            index._levels = (int*)(b + expected.Offsets[(int)Section.Levels]);
            index._upperOffsets = (long*)(b + expected.Offsets[(int)Section.UpperOffsets]);
            index._upper = (int*)(b + expected.Offsets[(int)Section.Upper]);
            index._upperLength = upperLength;
            index._upperCapacity = upperLength;
            index._idOffsets = (long*)(b + expected.Offsets[(int)Section.IdOffsets]);
            index._idBytes = b + expected.Offsets[(int)Section.IdBytes];
            index._deleted = b + expected.Offsets[(int)Section.Deleted];
            index._deletedCount = deletedCount;
            index._entryPoint = entry;
            index._maxLevel = maxLevel;
            index.CheckStructure(path, idBytesLength);
            return index;
        }
        catch
        {
            mapped.Dispose();
            throw;
        }
    }

    /// <summary>Cheap O(n) checks that keep every pointer the traversal computes inside the file.</summary>
    private void CheckStructure(string path, long idBytesLength)
    {
        var stride = _m + 1L;
        var deleted = 0;
        if (_idOffsets[0] != 0)
            ThrowHelper.Artifact(path, "corrupt id table");
        for (var p = 0; p < _count; p++)
        {
            var level = _levels[p];
            var offset = _upperOffsets[p];
            if (level < 0 || level > _maxLevel || (level == 0 ? offset != -1 : offset < 0 || offset + level * stride > _upperLength))
                ThrowHelper.Artifact(path, $"corrupt graph at position {p}");
            if (_idOffsets[p + 1] < _idOffsets[p] || _idOffsets[p + 1] > idBytesLength)
                ThrowHelper.Artifact(path, $"corrupt id table at position {p}");
            deleted += _deleted[p] != 0 ? 1 : 0;
        }
        if (_count > 0 && _idOffsets[_count] != idBytesLength)
            ThrowHelper.Artifact(path, "corrupt id table");
        if (deleted != _deletedCount)
            ThrowHelper.Artifact(path, $"corrupt tombstones ({deleted} marked, header says {_deletedCount})");
    }

    /// <summary>The bytes of an index file at a fixed address: mapped, or copied into memory of our own.</summary>
    private abstract class FileImage : IDisposable
    {
        public byte* Pointer { get; protected init; }

        public abstract void Dispose();
    }

    /// <summary>A private copy of a whole file in native memory (64-byte aligned, as the sections are).</summary>
    private sealed class CopiedFile : FileImage
    {
        private byte* _memory;

        private CopiedFile(long length)
        {
            _memory = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length), Alignment);
            Pointer = _memory;
        }

        ~CopiedFile() => Free();

        /// <summary>Reads <paramref name="length"/> bytes; refuses a file that is no longer the one whose header was checked.</summary>
        public static CopiedFile Read(string path, long length, byte[] header)
        {
            var copy = new CopiedFile(length);
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                long at = 0;
                while (at < length)
                {
                    var n = stream.Read(new Span<byte>(copy._memory + at, (int)Math.Min(length - at, 1 << 30)));
                    if (n == 0)
                        ThrowHelper.Artifact(path, $"changed while being read: it ended at {at} of {length} bytes (truncated or replaced); load it again");
                    at += n;
                }
                Span<byte> extra = stackalloc byte[1];
                if (stream.Read(extra) != 0 || !new ReadOnlySpan<byte>(copy._memory, HeaderBytes).SequenceEqual(header))
                    ThrowHelper.Artifact(path, "changed while being read (its header or length is not the one checked); load it again");
                return copy;
            }
            catch
            {
                copy.Dispose();
                throw;
            }
        }

        public override void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }

    /// <summary>A read-only memory mapping of a whole file and its base pointer.</summary>
    private sealed class MappedFile : FileImage
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private bool _acquired;

        public MappedFile(string path)
        {
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _acquired = true;
            Pointer = p + _view.PointerOffset;
        }

        public override void Dispose()
        {
            if (_acquired)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _acquired = false;
            }
            _view.Dispose();
            _file.Dispose();
        }
    }

    /// <summary>Writes through to a stream while keeping a running CRC-32C (Castagnoli, hardware-accelerated).</summary>
    private sealed class CrcWriter(Stream stream)
    {
        private uint _crc = uint.MaxValue;

        public ulong Crc => ~_crc;

        public void Write(ReadOnlySpan<byte> data)
        {
            fixed (byte* p = data)
                _crc = Update(_crc, p, data.Length);
            stream.Write(data);
        }

        public void Write(void* data, long length)
        {
            var p = (byte*)data;
            while (length > 0)
            {
                var chunk = (int)Math.Min(length, 1 << 30);
                Write(new ReadOnlySpan<byte>(p, chunk));
                p += chunk;
                length -= chunk;
            }
        }

        public void Zeros(long count)
        {
            if (count > 0)
                Write(new byte[count]);
        }

        public static ulong Compute(byte* p, long length) => ~Update(uint.MaxValue, p, length);

        private static uint Update(uint crc, byte* p, long length)
        {
            long i = 0;
            for (; i <= length - 8; i += 8)
                crc = BitOperations.Crc32C(crc, *(ulong*)(p + i));
            for (; i < length; i++)
                crc = BitOperations.Crc32C(crc, p[i]);
            return crc;
        }
    }
}
