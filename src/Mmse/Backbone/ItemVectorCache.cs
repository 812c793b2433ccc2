using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Mmse.Internals;
using Mmse.Numerics;
using Mmse.Text;

namespace Mmse.Backbone;

/// <summary>
/// Item vectors of one backbone on disk, keyed by a 64-bit hash of the exact text each came
/// from, so a changed title is encoded again and nothing else is. The file is a header (magic
/// "MMSEBVC", version, backbone name, dimension, checksum) followed by appended chunks
/// (count, count x (key, vector), checksum of the chunk). Each chunk is flushed when written:
/// a killed run leaves at most a torn last chunk, which <see cref="Open"/> drops, so a resumed
/// run keeps everything that was encoded before. A complete chunk whose checksum fails, a
/// foreign file or another backbone's cache is an <see cref="MmseArtifactException"/>.
/// </summary>
public sealed class ItemVectorCache : IDisposable
{
    private const string Magic = "MMSEBVC";
    private const int Version = 1;
    private const ulong KeySeed = 0x4D4D5345_42564331UL;

    private readonly Dictionary<ulong, float[]> _vectors = [];
    private readonly FileStream _file;

    private ItemVectorCache(string path, BackboneModel model, FileStream file)
    {
        Path = path;
        Model = model;
        _file = file;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The backbone whose vectors the file holds.</summary>
    public BackboneModel Model { get; }

    /// <summary>Distinct texts with a vector.</summary>
    public int Count => _vectors.Count;

    /// <summary>The key of a text: seeded FNV-1a 64 of its UTF-8 bytes.</summary>
    public static ulong Key(string text) => HashedTokenizer.Hash(Encoding.UTF8.GetBytes(text), KeySeed);

    /// <summary>
    /// Opens the cache at <paramref name="path"/> for <paramref name="model"/>, creating it when
    /// <paramref name="create"/> is true and the file does not exist (otherwise a missing file is
    /// an <see cref="MmseInputException"/>). A torn last chunk is cut off.
    /// </summary>
    public static ItemVectorCache Open(string path, BackboneModel model, bool create = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(path) && !create)
            ThrowHelper.Input($"vector cache '{path}' does not exist (encode the catalog first)");
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var cache = new ItemVectorCache(path, model, file);
            if (file.Length == 0)
                cache.WriteHeader();
            else
                cache.ReadAll();
            return cache;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private byte[] Header()
    {
        var name = Encoding.UTF8.GetBytes(Model.Name);
        var header = new byte[Magic.Length + 4 + 4 + name.Length + 4];
        Encoding.ASCII.GetBytes(Magic, header);
        var o = Magic.Length;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(o), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(o + 4), name.Length);
        name.CopyTo(header.AsSpan(o + 8));
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(o + 8 + name.Length), Model.Dimension);
        return header;
    }

    private void WriteHeader()
    {
        var header = Header();
        _file.Write(header);
        WriteChecksum(header);
        _file.Flush(flushToDisk: true);
    }

    private void WriteChecksum(ReadOnlySpan<byte> bytes)
    {
        var checksum = new Checksum64();
        checksum.Append(bytes);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, checksum.Value);
        _file.Write(b);
    }

    private void ReadAll()
    {
        var magic = new byte[Magic.Length];
        if (_file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || Encoding.ASCII.GetString(magic) != Magic)
            ThrowHelper.Artifact(Path, $"not an Mmse vector cache (expected magic '{Magic}')");
        Span<byte> head = stackalloc byte[8];
        if (_file.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8)
            ThrowHelper.Artifact(Path, "truncated file (header ends early)");
        var version = BinaryPrimitives.ReadInt32LittleEndian(head);
        if (version != Version)
            ThrowHelper.Artifact(Path, $"vector cache format version {version} is not supported (this build reads {Version})");
        var nameLength = BinaryPrimitives.ReadInt32LittleEndian(head[4..]);
        if (nameLength is < 0 or > 256)
            ThrowHelper.Artifact(Path, "corrupt file (header)");
        var rest = new byte[nameLength + 4 + 8];
        if (_file.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false) < rest.Length)
            ThrowHelper.Artifact(Path, "truncated file (header ends early)");
        var name = Encoding.UTF8.GetString(rest, 0, nameLength);
        var dim = BinaryPrimitives.ReadInt32LittleEndian(rest.AsSpan(nameLength));
        var stored = BinaryPrimitives.ReadUInt64LittleEndian(rest.AsSpan(nameLength + 4));
        var expected = new Checksum64();
        expected.Append(magic);
        expected.Append(head);
        expected.Append(rest.AsSpan(0, nameLength + 4));
        if (stored != expected.Value)
            ThrowHelper.Artifact(Path, "corrupt file (header checksum mismatch)");
        if (name != Model.Name || dim != Model.Dimension)
            ThrowHelper.Artifact(Path, $"the cache holds backbone '{name}' vectors of width {dim}, not '{Model.Name}' of width {Model.Dimension}");

        var recordBytes = 8 + 4 * dim;
        var valid = _file.Position;
        Span<byte> countBytes = stackalloc byte[4];
        var chunkIndex = 0;
        while (true)
        {
            if (_file.ReadAtLeast(countBytes, 4, throwOnEndOfStream: false) < 4) break;
            var count = BinaryPrimitives.ReadInt32LittleEndian(countBytes);
            if (count < 0 || (long)count * recordBytes > _file.Length)
                ThrowHelper.Artifact(Path, $"corrupt file (chunk {chunkIndex} claims {count} vectors)");
            var body = new byte[count * recordBytes + 8];
            // A chunk cut short is the trace of a killed run: keep what came before it.
            if (_file.ReadAtLeast(body, body.Length, throwOnEndOfStream: false) < body.Length) break;
            var checksum = new Checksum64();
            checksum.Append(countBytes);
            checksum.Append(body.AsSpan(0, count * recordBytes));
            if (BinaryPrimitives.ReadUInt64LittleEndian(body.AsSpan(count * recordBytes)) != checksum.Value)
                ThrowHelper.Artifact(Path, $"corrupt file (checksum mismatch in chunk {chunkIndex})");
            for (var r = 0; r < count; r++)
            {
                var record = body.AsSpan(r * recordBytes, recordBytes);
                _vectors[BinaryPrimitives.ReadUInt64LittleEndian(record)] = MemoryMarshal.Cast<byte, float>(record[8..]).ToArray();
            }
            valid = _file.Position;
            chunkIndex++;
        }
        if (valid < _file.Length)
            _file.SetLength(valid);
        _file.Position = valid;
    }

    /// <summary>Copies the vector of <paramref name="text"/> into <paramref name="destination"/> when cached.</summary>
    public bool TryGet(string text, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!_vectors.TryGetValue(Key(text), out var vector)) return false;
        vector.CopyTo(destination);
        return true;
    }

    /// <summary>Appends one chunk: the vectors [texts, dim] of <paramref name="texts"/>, flushed to disk before returning.</summary>
    public void Add(IReadOnlyList<string> texts, ReadOnlySpan<float> vectors)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var dim = Model.Dimension;
        if (vectors.Length != texts.Count * dim)
            ThrowHelper.DimensionMismatch(nameof(vectors), vectors.Length, texts.Count * dim);
        var recordBytes = 8 + 4 * dim;
        var chunk = new byte[4 + texts.Count * recordBytes];
        BinaryPrimitives.WriteInt32LittleEndian(chunk, texts.Count);
        for (var r = 0; r < texts.Count; r++)
        {
            var record = chunk.AsSpan(4 + r * recordBytes, recordBytes);
            var key = Key(texts[r]);
            BinaryPrimitives.WriteUInt64LittleEndian(record, key);
            var vector = vectors.Slice(r * dim, dim);
            MemoryMarshal.AsBytes(vector).CopyTo(record[8..]);
            _vectors[key] = vector.ToArray();
        }
        _file.Write(chunk);
        WriteChecksum(chunk);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// The vectors [texts, dim] of <paramref name="texts"/>: cached ones are copied, the others
    /// encoded in chunks of <paramref name="chunk"/> texts, each appended to the file as soon as it
    /// is done. Returns how many texts were encoded.
    /// </summary>
    public int GetOrEncode(BackboneEncoder encoder, IReadOnlyList<string> texts, Span<float> destination, int chunk = 2048, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        if (encoder.Model.Name != Model.Name)
            ThrowHelper.Input($"the vector cache '{Path}' holds '{Model.Name}' vectors; the encoder is '{encoder.Model.Name}'");
        var dim = Model.Dimension;
        if (destination.Length != texts.Count * dim)
            ThrowHelper.DimensionMismatch(nameof(destination), destination.Length, texts.Count * dim);
        var missing = new List<int>();
        var seen = new HashSet<ulong>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (!TryGet(texts[i], destination.Slice(i * dim, dim)) && seen.Add(Key(texts[i])))
                missing.Add(i);
        }
        var encoded = 0;
        for (var start = 0; start < missing.Count; start += chunk)
        {
            var part = missing.GetRange(start, Math.Min(chunk, missing.Count - start));
            var partTexts = part.Select(i => texts[i]).ToArray();
            var vectors = new float[partTexts.Length * dim];
            encoder.EncodeItems(partTexts, vectors);
            Add(partTexts, vectors);
            encoded += partTexts.Length;
            progress?.Report(encoded);
        }
        // Duplicated texts (and the chunks just encoded) are filled from the cache in one pass.
        for (var i = 0; i < texts.Count && missing.Count > 0; i++)
            TryGet(texts[i], destination.Slice(i * dim, dim));
        return encoded;
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
