using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Mmse.Backbone;
using Mmse.Data;
using Mmse.Internals;
using Mmse.Numerics;
using Mmse.Text;

namespace Mmse.Model;

/// <summary>
/// A trained MMSE model: options, weights, and inference (query heads, item vectors, the
/// fused score). Saved as one binary file (docs/model.md): magic, format version, the options
/// as JSON, every weight group with its length, and a 64-bit checksum of all of it.
/// </summary>
public sealed class MmseModel
{
    public const string Magic = "MMSEMODL";
    public const int FormatVersion = 1;

    private HashedTokenizer? _tokenizer;
    private byte[]? _queryPrefix; // UTF-8 of the tokeniser's field prefix for queries

    /// <summary>
    /// A model of <paramref name="options"/> (new weights when <paramref name="parameters"/> is null).
    /// With a backbone, <paramref name="backbone"/> runs it (default: the process's shared runtime
    /// for it, <see cref="BackboneRuntime.Shared"/>, loaded now).
    /// </summary>
    public MmseModel(ModelOptions options, ModelParameters? parameters = null, IReadOnlyDictionary<string, string>? metadata = null,
        BackboneRuntime? backbone = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        if (options.Backbone is { } name)
        {
            Backbone = backbone ?? BackboneRuntime.Shared(name);
            if (Backbone.Name != name || Backbone.Dimension != options.Dim)
                throw new ArgumentException($"the backbone runtime is '{Backbone.Name}' ({Backbone.Dimension}-d); the model needs '{name}' ({options.Dim}-d)", nameof(backbone));
        }
        if (parameters is null)
        {
            parameters = new ModelParameters(options);
            parameters.Initialize(options);
        }
        Parameters = parameters;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    public ModelOptions Options { get; }

    /// <summary>The backbone's runtime (encoder and caches) for a model with a backbone; null otherwise.</summary>
    public BackboneRuntime? Backbone { get; }

    public ModelParameters Parameters { get; }

    /// <summary>Free-form facts about how it was trained (variant, epochs...), saved with the model.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public int Heads => Options.Heads;

    public int Dim => Options.Dim;

    public float Beta => Options.Beta;

    public bool PreFusion => Options.PreFusion;

    public HashedTokenizer Tokenizer => _tokenizer ??= new HashedTokenizer(Options.Tokenizer);

    /// <summary>Fingerprint of the weights and options (hex of their checksum): changes whenever the model does.</summary>
    public string Version
    {
        get
        {
            var c = new Checksum64();
            c.Append(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Options)));
            c.Append(MemoryMarshal.AsBytes(Parameters.Embedding.AsSpan()));
            foreach (var g in Parameters.Dense)
                c.Append(MemoryMarshal.AsBytes(g.AsSpan()));
            return c.Value.ToString("x16", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// The K unit query heads of <paramref name="text"/> into destination [Heads*Dim]. Allocates
    /// nothing once the calling thread has encoded a query as long (buffers are per thread,
    /// <see cref="QueryScratch.ForThread"/>). Thread-safe.
    /// </summary>
    public void EncodeQuery(string text, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        EncodeQuery(text.AsSpan(), destination, QueryScratch.ForThread);
    }

    /// <summary>
    /// The K unit query heads of <paramref name="text"/> into destination [Heads*Dim], using only
    /// <paramref name="scratch"/> for intermediate values (one scratch per thread at a time).
    /// Same tokens as <see cref="HashedTokenizer.Buckets"/> and the same operations as the
    /// batched query tower (<see cref="EncodeQueryReference"/> is the plain path it is tested against).
    /// </summary>
    public void EncodeQuery(ReadOnlySpan<char> text, Span<float> destination, QueryScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        if (destination.Length < Heads * Dim)
            throw new ArgumentException($"'destination':{destination.Length} must hold Heads*Dim = {Heads * Dim}");
        int tokens;
        if (Options.Analysis == TextAnalysis.Plain)
        {
            _queryPrefix ??= Encoding.UTF8.GetBytes(Tokenizer.FieldPrefix("query"));
            tokens = QueryTokenizer.Buckets(Tokenizer, _queryPrefix, text, scratch);
        }
        else
        {
            // The analyser works on strings: the allocation-free tokeniser covers spec v1 (plain) only.
            var buckets = Tokenizer.Buckets(text.ToString(), "query");
            QueryScratch.Ensure(ref scratch.Tokens, buckets.Length);
            buckets.CopyTo(scratch.Tokens, 0);
            tokens = buckets.Length;
        }
        if (Backbone is not null)
            AdapterTowers.QueryRow(Parameters, Options, Backbone.EncodeQuery(text.ToString()), tokens, scratch);
        else
            QueryTower.Forward(Parameters, Options, tokens, scratch);
        scratch.Q.AsSpan(0, Heads * Dim).CopyTo(destination);
    }

    /// <summary>The plain path: token strings (<see cref="HashedTokenizer.Buckets"/>) and the batched tower with one row.</summary>
    public void EncodeQueryReference(string text, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (destination.Length < Heads * Dim)
            throw new ArgumentException($"'destination':{destination.Length} must hold Heads*Dim = {Heads * Dim}");
        var tokens = Tokenizer.Buckets(text, "query");
        var a = new TowerActivations();
        var backbone = Backbone is null ? default : Backbone.EncodeQuery(text).AsSpan();
        Towers.QueryForward<FastPath>(Parameters, Options, 1, [0, tokens.Length], tokens, [0], a, threads: 1, backbone);
        a.Q.AsSpan(0, Heads * Dim).CopyTo(destination);
    }

    /// <summary>Query heads of many queries: [count, Heads*Dim].</summary>
    public float[] EncodeQueries(IReadOnlyList<string> queries, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var kd = Heads * Dim;
        var result = new float[(long)queries.Count * kd];
        var backbone = Backbone?.EncodeQueries(queries);
        var bd = Backbone?.Dimension ?? 0;
        Parallel2.For(queries.Count, Parallel2.Resolve(threads), 256, (from, to) =>
        {
            const int chunk = 512;
            var a = new TowerActivations();
            var offsets = new List<int>();
            var tokens = new List<int>();
            for (var s = from; s < to; s += chunk)
            {
                var n = Math.Min(chunk, to - s);
                offsets.Clear();
                tokens.Clear();
                offsets.Add(0);
                for (var q = 0; q < n; q++)
                {
                    Tokenizer.AddBuckets(queries[s + q], "query", tokens);
                    offsets.Add(tokens.Count);
                }
                var bags = Enumerable.Range(0, n).ToArray();
                var rows = backbone is null ? default : backbone.AsSpan(s * bd, n * bd);
                Towers.QueryForward<FastPath>(Parameters, Options, n, [.. offsets], [.. tokens], bags, a, threads: 1, rows);
                a.Q.AsSpan(0, n * kd).CopyTo(result.AsSpan(s * kd));
            }
        });
        return result;
    }

    /// <summary>Unit item vectors of the whole catalog: [catalog.Count, Dim], in parallel.</summary>
    public float[] EncodeItems(Catalog catalog, int threads = 0, ProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return EncodeItems(ItemInputs(catalog, threads, progress), catalog.Count, threads);
    }

    /// <summary>
    /// What the item tower reads for every item of <paramref name="catalog"/>: the hashed tokens of
    /// its fields and, with a backbone, the items' backbone vectors (from the cache, the missing ones
    /// encoded now, with progress).
    /// </summary>
    public CatalogTokens ItemInputs(Catalog catalog, int threads = 0, ProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var tokens = CatalogTokens.Build(catalog, Tokenizer, Options.ItemFields, Parallel2.Resolve(threads));
        return Backbone is null ? tokens : tokens.WithBackbone(Backbone.EncodeCatalog(catalog, progress));
    }

    /// <summary>Unit item vectors from pre-tokenised items: [count, Dim].</summary>
    public float[] EncodeItems(CatalogTokens tokens, int count, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (Backbone is not null && tokens.Backbone is null)
            throw new ArgumentException("a model with a backbone needs the items' backbone vectors (ItemInputs)", nameof(tokens));
        var result = new float[(long)count * Dim];
        Parallel2.For(count, Parallel2.Resolve(threads), 1024, (from, to) =>
        {
            const int chunk = 1024;
            var a = new TowerActivations();
            var items = new int[chunk];
            for (var s = from; s < to; s += chunk)
            {
                var n = Math.Min(chunk, to - s);
                for (var i = 0; i < n; i++)
                    items[i] = s + i;
                Towers.ItemForward<FastPath>(Parameters, Options, tokens, n, items, a, threads: 1);
                a.I.AsSpan(0, n * Dim).CopyTo(result.AsSpan(s * Dim));
            }
        });
        return result;
    }

    /// <summary>The query vector(s) used for scoring: the K heads, or with pre-fusion their normalised mean (one vector).</summary>
    public int ScoringHeads => PreFusion ? 1 : Heads;

    /// <summary>Writes the scoring form of query heads into destination [ScoringHeads*Dim].</summary>
    public void ScoringQuery(ReadOnlySpan<float> queryHeads, Span<float> destination)
    {
        if (PreFusion)
            L2Normalize.MeanOfHeads(queryHeads, Heads, Dim, destination);
        else
            queryHeads[..(Heads * Dim)].CopyTo(destination);
    }

    /// <summary>The fused score s(q, i) of DESIGN §4 for unit query heads [Heads*Dim] and a unit item vector [Dim].</summary>
    public float Score(ReadOnlySpan<float> queryHeads, ReadOnlySpan<float> item)
    {
        if (queryHeads.Length < Heads * Dim || item.Length < Dim)
            throw new ArgumentException($"'queryHeads' must hold {Heads * Dim} and 'item' {Dim} values");
        Span<float> z = stackalloc float[Heads];
        if (PreFusion)
        {
            Span<float> v = stackalloc float[Dim];
            L2Normalize.MeanOfHeads(queryHeads, Heads, Dim, v);
            return System.Numerics.Tensors.TensorPrimitives.Dot(v, item[..Dim]);
        }
        for (var k = 0; k < Heads; k++)
            z[k] = System.Numerics.Tensors.TensorPrimitives.Dot(queryHeads.Slice(k * Dim, Dim), item[..Dim]);
        return PostFusion.Fuse(z, Beta);
    }

    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new AtomicFile(path, 1 << 20);
        Write(file.Stream);
        file.Commit();
    }

    /// <summary>
    /// Writes the model format (docs/model.md) through <see cref="ArtifactWriter"/>, the writer of
    /// checkpoints too: magic, version, the JSON header, the weight-group count, every group
    /// (int64 length + floats), the checksum.
    /// </summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("model files are little-endian");
        var w = new ArtifactWriter(stream, Magic, FormatVersion);
        w.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(new ModelFileHeader(Options, new Dictionary<string, string>(Metadata))));
        var groups = Groups();
        w.WriteInt32(groups.Length);
        foreach (var g in groups)
            w.WriteFloats(g);
        w.Finish();
    }

    private float[][] Groups() => [Parameters.Embedding, .. Parameters.Dense];

    public static MmseModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowHelper.IfFileMissing(path, "model file");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Read(stream, path);
    }

    /// <summary>Reads the model format; <paramref name="name"/> names the file in errors.</summary>
    public static MmseModel Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var r = new ArtifactReader(stream, name, Magic, FormatVersion, "model");
        var configLength = r.ReadInt32();
        if (configLength <= 0 || configLength > 1 << 20)
            ThrowHelper.Artifact(name, $"corrupt model header (config length {configLength})");
        var config = new byte[configLength];
        r.ReadRaw(config);
        ModelFileHeader header;
        try
        {
            header = JsonSerializer.Deserialize<ModelFileHeader>(config) ?? throw new JsonException("empty");
            if (header.Options?.ItemFields is null || header.Metadata is null || header.Metadata.Values.Any(v => v is null))
                throw new JsonException("a required field is null");
            header.Options.Validate();
        }
        catch (Exception e) when (e is JsonException or MmseInputException or NotSupportedException)
        {
            return ThrowHelper.Artifact<MmseModel>(name, $"corrupt model header ({e.Message})");
        }
        var parameters = new ModelParameters(header.Options);
        float[][] groups = [parameters.Embedding, .. parameters.Dense];
        if (r.ReadInt32() != groups.Length)
            ThrowHelper.Artifact(name, "corrupt model (wrong number of weight groups)");
        foreach (var g in groups)
        {
            var length = r.ReadInt64();
            if (length != g.Length)
                ThrowHelper.Artifact(name, $"corrupt model (a weight group holds {length} values, the config implies {g.Length})");
            r.ReadFloatValues(g);
        }
        r.Verify();
        BackboneRuntime? backbone = null;
        if (header.Options.Backbone is { } backboneName)
        {
            try
            {
                backbone = BackboneRuntime.Shared(backboneName);
            }
            catch (MmseInputException e)
            {
                return ThrowHelper.Artifact<MmseModel>(name, $"the model needs the backbone '{backboneName}', which cannot be loaded: {e.Message}");
            }
        }
        return new MmseModel(header.Options, parameters, header.Metadata, backbone);
    }
}

/// <summary>The JSON header of a model file.</summary>
public sealed record ModelFileHeader(ModelOptions Options, Dictionary<string, string> Metadata);
