using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// <c>.fvecs</c> / <c>.ivecs</c> (TEXMEX): per record an int32 dimension then that many
/// float32 / int32 values, little-endian. Interoperates with FAISS, hnswlib and ann-benchmarks.
/// </summary>
public static class Vectors
{
    /// <summary>Reads all records into one row-major matrix [count, dim].</summary>
    public static float[] ReadFvecs(string path, out int count, out int dim)
    {
        var bytes = ReadChecked(path, out count, out dim);
        var result = new float[(long)count * dim];
        Decode(bytes, count, dim, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Reads all records of an .ivecs file into one row-major matrix [count, dim].</summary>
    public static int[] ReadIvecs(string path, out int count, out int dim)
    {
        var bytes = ReadChecked(path, out count, out dim);
        var result = new int[(long)count * dim];
        Decode(bytes, count, dim, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>
    /// Refuses a matrix [count, dim] read from <paramref name="path"/> that holds a NaN or an
    /// infinity, naming the row (0-based, as the ids file's line minus one) and the component.
    /// </summary>
    /// <exception cref="MmseArtifactException">A value is not finite.</exception>
    public static void ThrowIfNotFinite(string path, ReadOnlySpan<float> rows, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        for (var i = 0; i < rows.Length; i++)
        {
            if (!float.IsFinite(rows[i]))
            {
                ThrowHelper.Artifact(path, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"vector {i / dim} (0-based row) has {rows[i]} at component {i % dim}; vectors must be finite numbers"));
            }
        }
    }

    /// <summary>Writes rows [values / dim, dim] as .fvecs (atomically).</summary>
    public static void WriteFvecs(string path, ReadOnlySpan<float> rows, int dim) =>
        Write(path, MemoryMarshal.AsBytes(rows), rows.Length, dim);

    /// <summary>Writes rows [values / dim, dim] as .ivecs (atomically).</summary>
    public static void WriteIvecs(string path, ReadOnlySpan<int> rows, int dim) =>
        Write(path, MemoryMarshal.AsBytes(rows), rows.Length, dim);

    private static void Write(string path, ReadOnlySpan<byte> data, int values, int dim)
    {
        if (dim <= 0 || values % dim != 0)
            throw new ArgumentException($"'values':{values} must be a multiple of 'dim':{dim}");
        using var file = new AtomicFile(path, 1 << 20);
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, dim);
        var rowBytes = dim * 4;
        for (var r = 0; r < values / dim; r++)
        {
            file.Stream.Write(header);
            file.Stream.Write(data.Slice(r * rowBytes, rowBytes));
        }
        file.Commit();
    }

    private static byte[] ReadChecked(string path, out int count, out int dim)
    {
        ThrowHelper.IfFileMissing(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4)
            ThrowHelper.Artifact(path, "too short to be a .fvecs/.ivecs file");
        dim = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (dim <= 0 || dim > 1 << 16)
            ThrowHelper.Artifact(path, $"first record's dimension {dim} is not plausible; not a .fvecs/.ivecs file?");
        var record = 4L + 4L * dim;
        if (bytes.Length % record != 0)
            ThrowHelper.Artifact(path, $"length {bytes.Length} is not a whole number of {dim}-dimensional records (truncated?)");
        count = (int)(bytes.Length / record);
        for (var r = 0; r < count; r++)
        {
            var d = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)(r * record)));
            if (d != dim)
                ThrowHelper.Artifact(path, $"record {r} has dimension {d}, but the first has {dim}");
        }
        return bytes;
    }

    private static void Decode(byte[] bytes, int count, int dim, Span<byte> destination)
    {
        var rowBytes = dim * 4;
        for (var r = 0; r < count; r++)
            bytes.AsSpan(r * (rowBytes + 4) + 4, rowBytes).CopyTo(destination.Slice(r * rowBytes, rowBytes));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("big-endian hosts are not supported");
    }
}
