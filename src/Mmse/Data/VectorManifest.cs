using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// The manifest that commits a vectors file and its ids file together (<c>mmse embed</c>'s
/// <c>items.fvecs</c> + <c>items.ids</c>): <c>items.manifest.json</c> beside the vectors, with the
/// row count, the dimension, a SHA-256 of each file and the model version. The writer marks the
/// manifest "writing" (with the previous complete pair's hashes and the new pair's) before it
/// replaces either file and "complete" after both are in place, so a run killed anywhere leaves
/// either a whole pair (old or new) that readers accept or a torn one that every reader refuses. Readers
/// (<c>index</c>, <c>serve</c>) check it with <see cref="Verify"/>: a torn or mixed pair (new
/// vectors beside old ids) is refused by name, never used.
/// <para>
/// The rule for a pair without a manifest (written before manifests existed, or by another
/// tool): it is read as before, and only a count mismatch (ids lines against vector rows, or
/// rows against catalog items) can be detected; a reordered catalog of the same size cannot.
/// </para>
/// </summary>
public sealed record VectorManifest(int Count, int Dim, string VectorsSha256, string IdsSha256, string ModelVersion, bool Complete)
{
    /// <summary>While "writing": the pair that was complete before (null when none), still usable while both its files are in place.</summary>
    public VectorManifest? Previous { get; init; }

    /// <summary>While "writing": the pair being written (null when unknown), usable once both its files are in place.</summary>
    public VectorManifest? Next { get; init; }

    private const string Format = "mmse-vectors-manifest/1";

    /// <summary>The manifest that belongs to <paramref name="vectorsPath"/>: <c>{stem}.manifest.json</c> in its folder.</summary>
    public static string PathFor(string vectorsPath)
    {
        ArgumentNullException.ThrowIfNull(vectorsPath);
        var full = Path.GetFullPath(vectorsPath);
        return Path.Combine(Path.GetDirectoryName(full) ?? "", Path.GetFileNameWithoutExtension(full) + ".manifest.json");
    }

    /// <summary>
    /// Marks the pair as being rewritten (call before replacing either file); a reader that
    /// finds this state refuses the pair until <see cref="Commit"/> runs.
    /// </summary>
    public static void Begin(string vectorsPath) => Begin(vectorsPath, null);

    /// <summary>
    /// Marks the pair as being rewritten into <paramref name="next"/> (its hashes computed before
    /// either file is written: <see cref="HashFvecs"/>, <see cref="HashIds"/>). Until
    /// <see cref="Commit"/>, readers accept the files only when both are the previous complete pair
    /// or both are <paramref name="next"/>: a run killed anywhere leaves either a usable whole pair or
    /// a refused torn one, never a torn pair in use.
    /// </summary>
    public static void Begin(string vectorsPath, VectorManifest? next)
    {
        VectorManifest? previous = null;
        try
        {
            previous = Read(vectorsPath) is { } old ? (old.Complete ? old : old.Previous) : null;
        }
        catch (MmseArtifactException)
        {
            // A corrupt manifest vouches for nothing: the rewrite starts without a previous pair.
        }
        Write(PathFor(vectorsPath), new VectorManifest(0, 0, "", "", "", Complete: false) { Previous = previous, Next = next });
    }

    /// <summary>SHA-256 (lower-case hex) of rows [values / dim, dim] as <see cref="Vectors.WriteFvecs"/> writes them.</summary>
    public static string HashFvecs(ReadOnlySpan<float> rows, int dim)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header, dim);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows);
        for (var r = 0; r < rows.Length / dim; r++)
        {
            hash.AppendData(header);
            hash.AppendData(bytes.Slice(r * dim * 4, dim * 4));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Records <paramref name="written"/> (the pair given to <see cref="Begin(string, VectorManifest?)"/>,
    /// hashed from the bytes that were written) as complete; call after both files are in place.
    /// The files are not read again.
    /// </summary>
    public static VectorManifest Commit(string vectorsPath, VectorManifest written)
    {
        ArgumentNullException.ThrowIfNull(written);
        var manifest = written with { Complete = true, Previous = null, Next = null };
        Write(PathFor(vectorsPath), manifest);
        return manifest;
    }

    /// <summary>The manifest beside <paramref name="vectorsPath"/>, or null when there is none.</summary>
    /// <exception cref="MmseArtifactException">The manifest is not one we wrote, or is corrupt.</exception>
    public static VectorManifest? Read(string vectorsPath)
    {
        var path = PathFor(vectorsPath);
        if (!File.Exists(path))
            return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != Format)
                return ThrowHelper.Artifact<VectorManifest>(path, $"not a vectors manifest (expected \"format\": \"{Format}\")");
            var complete = root.GetProperty("state").GetString() == "complete";
            if (!complete)
            {
                return new VectorManifest(0, 0, "", "", "", Complete: false)
                {
                    Previous = root.TryGetProperty("previous", out var p) && p.ValueKind == JsonValueKind.Object ? Pair(p) : null,
                    Next = root.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.Object ? Pair(n) : null,
                };
            }
            return Pair(root);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return ThrowHelper.Artifact<VectorManifest>(path, $"corrupt vectors manifest ({e.Message})");
        }
    }

    private static VectorManifest Pair(JsonElement e) =>
        new(e.GetProperty("count").GetInt32(), e.GetProperty("dim").GetInt32(),
            e.GetProperty("vectors_sha256").GetString() ?? "", e.GetProperty("ids_sha256").GetString() ?? "",
            e.GetProperty("model_version").GetString() ?? "", Complete: true);

    /// <summary>
    /// Checks a pair against its manifest: the vectors (<paramref name="count"/> rows of
    /// <paramref name="dim"/>, already read) and, when given, the ids file. Without a manifest
    /// nothing is checked here (the rule in the type's remarks). Returns the manifest, or null.
    /// </summary>
    /// <exception cref="MmseArtifactException">An unfinished write, or a file that is not the one the manifest recorded.</exception>
    public static VectorManifest? Verify(string vectorsPath, string? idsPath, int count, int dim)
    {
        var manifest = Read(vectorsPath);
        if (manifest is null)
            return null;
        var manifestPath = PathFor(vectorsPath);
        if (!manifest.Complete)
        {
            // A rewrite that did not finish: the files are usable only as one whole pair, old or new.
            var vectorsHash = HashFile(vectorsPath);
            var idsHash = idsPath is null ? null : HashFile(idsPath);
            foreach (var whole in (VectorManifest?[])[manifest.Previous, manifest.Next])
            {
                if (whole is not null && whole.Count == count && whole.Dim == dim && whole.VectorsSha256 == vectorsHash
                    && (idsHash is null || whole.IdsSha256 == idsHash))
                    return whole;
            }
            ThrowHelper.Artifact(vectorsPath, $"the run that wrote it did not finish ({manifestPath} says 'writing'): " +
                "the vectors and their ids may come from different runs; run mmse embed again");
        }
        if (manifest.Count != count || manifest.Dim != dim)
            ThrowHelper.Artifact(vectorsPath, $"holds {count} x {dim} vectors but {manifestPath} recorded {manifest.Count} x {manifest.Dim}: a file of another run; run mmse embed again");
        if (HashFile(vectorsPath) != manifest.VectorsSha256)
            ThrowHelper.Artifact(vectorsPath, $"is not the file {manifestPath} recorded (its SHA-256 differs): a file of another run; run mmse embed again");
        if (idsPath is not null && HashFile(idsPath) != manifest.IdsSha256)
            ThrowHelper.Artifact(idsPath, $"does not belong with {vectorsPath} (its SHA-256 differs from the one {manifestPath} recorded): a torn or mixed pair; run mmse embed again");
        return manifest;
    }

    /// <summary>
    /// Checks vectors served in catalog order (one row per item, <c>mmse serve --index
    /// items.fvecs</c>) against their manifest: a complete write of these rows, embedded from
    /// this catalog in this order (the manifest's ids are the catalog's ids) and, when
    /// <paramref name="modelVersion"/> is given, by this model. Without a manifest only the
    /// row count was checked (by the caller).
    /// </summary>
    /// <exception cref="MmseArtifactException">The vectors do not belong with this catalog or model.</exception>
    public static void VerifyServed(string vectorsPath, int count, int dim, IReadOnlyList<string> catalogIds, string catalogPath, string? modelVersion)
    {
        ArgumentNullException.ThrowIfNull(catalogIds);
        if (Verify(vectorsPath, null, count, dim) is not { } manifest)
            return;
        if (HashIds(catalogIds) != manifest.IdsSha256)
            ThrowHelper.Artifact(vectorsPath, $"was embedded from another catalog or another item order than {catalogPath} (the ids recorded in {PathFor(vectorsPath)} differ); run mmse embed again");
        if (modelVersion is not null && manifest.ModelVersion != modelVersion)
            ThrowHelper.Artifact(vectorsPath, $"was embedded by model {manifest.ModelVersion}, not the served model {modelVersion}; run mmse embed again");
    }

    /// <summary>SHA-256 (lower-case hex) of the ids as an ids file holds them: one per line, "\n" after each.</summary>
    public static string HashIds(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256];
        foreach (var id in ids)
        {
            var needed = Encoding.UTF8.GetMaxByteCount(id.Length) + 1;
            if (buffer.Length < needed)
                buffer = new byte[needed];
            var n = Encoding.UTF8.GetBytes(id, buffer);
            buffer[n] = (byte)'\n';
            hash.AppendData(buffer, 0, n + 1);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void WritePair(Utf8JsonWriter json, VectorManifest pair)
    {
        json.WriteNumber("count", pair.Count);
        json.WriteNumber("dim", pair.Dim);
        json.WriteString("vectors_sha256", pair.VectorsSha256);
        json.WriteString("ids_sha256", pair.IdsSha256);
        json.WriteString("model_version", pair.ModelVersion);
    }

    private static void Write(string path, VectorManifest manifest)
    {
        using var file = new AtomicFile(path);
        using (var json = new Utf8JsonWriter(file.Stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteString("state", manifest.Complete ? "complete" : "writing");
            if (manifest.Complete)
            {
                WritePair(json, manifest);
            }
            else
            {
                foreach (var (name, pair) in (ReadOnlySpan<(string, VectorManifest?)>)[("previous", manifest.Previous), ("next", manifest.Next)])
                {
                    if (pair is null) continue;
                    json.WriteStartObject(name);
                    WritePair(json, pair);
                    json.WriteEndObject();
                }
            }
            json.WriteEndObject();
        }
        file.Stream.WriteByte((byte)'\n');
        file.Commit();
    }
}
