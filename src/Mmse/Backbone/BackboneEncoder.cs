using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Mmse.Internals;

namespace Mmse.Backbone;

/// <summary>Options of <see cref="BackboneEncoder"/>. Results do not depend on any of them beyond float rounding.</summary>
public sealed record BackboneOptions
{
    /// <summary>ONNX Runtime intra-op threads; 0 = all cores. Default 0.</summary>
    public int Threads { get; init; }

    /// <summary>ONNX Runtime graph optimisation. Default all (operator fusion: attention, GELU, layer norm).</summary>
    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Let ONNX Runtime's idle worker threads spin. Default false: on a shared or small machine
    /// spinning threads steal the cores the other work needs.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>
    /// Run the weight products in 8 bits (<see cref="OnnxWeightQuantizer"/>): about 3x the fp32
    /// speed on one core, vectors within cosine 0.997 of the package's instead of equal to them
    /// (docs/backbone.md has the recall it costs). The encoder's model becomes the backbone's
    /// <c>-int8</c> twin (<see cref="BackboneModel.AsInt8"/>). Default false.
    /// </summary>
    public bool Int8 { get; init; }

    /// <summary>
    /// Intra-op threads of the session that runs <see cref="BackboneEncoder.EncodeQuery"/>.
    /// Default 1: a short query is too small to split across cores, and with one thread each
    /// concurrent request runs on its own caller thread instead of queueing for a shared pool.
    /// When it equals the catalog session's thread count the two are one session.
    /// </summary>
    public int QueryThreads { get; init; } = 1;

    /// <summary>Most texts in one run. Default 64.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>Most padded tokens (batch x longest) in one run. Default 2048.</summary>
    public int MaxBatchTokens { get; init; } = 2048;

    /// <summary>Query vectors kept by the in-memory LRU of <see cref="BackboneEncoder.EncodeQuery"/>; 0 = none. Default 4096.</summary>
    public int QueryCacheCapacity { get; init; } = 4096;
}

/// <summary>
/// Runs a <see cref="BackboneModel"/> with ONNX Runtime directly: Mmse owns the session (threads,
/// graph optimisation, no spinning), sorts texts by token count and batches neighbours so
/// padding is small, asks for the last hidden state only, and pools (CLS or masked mean) and
/// L2-normalises exactly as the SentenceTransformers package does, so vectors equal the
/// package's within float rounding (or within cosine 0.997 with <see cref="BackboneOptions.Int8"/>).
/// Single queries go to a second, one-thread session that shares the packed weights.
/// Thread-safe: ONNX Runtime sessions allow concurrent runs.
/// </summary>
public sealed class BackboneEncoder : IDisposable
{
    private const string OutputName = "last_hidden_state";
    private readonly InferenceSession _session;
    private readonly InferenceSession _querySession;
    private readonly PrePackedWeightsContainer _packed;
    private readonly WordPieceTokenizer _tokenizer;
    private readonly QueryVectorCache? _queries;

    private BackboneEncoder(BackboneModel model, BackboneOptions options, InferenceSession session, InferenceSession querySession,
        PrePackedWeightsContainer packed, WordPieceTokenizer tokenizer)
    {
        Model = model;
        Options = options;
        _session = session;
        _querySession = querySession;
        _packed = packed;
        _tokenizer = tokenizer;
        _queries = options.QueryCacheCapacity > 0 ? new QueryVectorCache(options.QueryCacheCapacity) : null;
    }

    /// <summary>The backbone.</summary>
    public BackboneModel Model { get; }

    /// <summary>The options.</summary>
    public BackboneOptions Options { get; }

    /// <summary>Width of every vector.</summary>
    public int Dimension => Model.Dimension;

    /// <summary>The tokeniser (the package's WordPiece).</summary>
    public WordPieceTokenizer Tokenizer => _tokenizer;

    /// <summary>Loads the backbone called <paramref name="name"/> ("arctic-xs", "minilm").</summary>
    public static BackboneEncoder Load(string name, BackboneOptions? options = null) => Load(BackboneModel.Get(name), options);

    /// <summary>Loads <paramref name="model"/> from its package assembly.</summary>
    public static BackboneEncoder Load(BackboneModel model, BackboneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new BackboneOptions();
        if (options.MaxBatch < 1 || options.MaxBatchTokens < WordPieceTokenizer.MaxTokens)
            ThrowHelper.Input($"'MaxBatch':{options.MaxBatch} must be at least 1 and 'MaxBatchTokens':{options.MaxBatchTokens} at least {WordPieceTokenizer.MaxTokens}");
        // The option names the int8 twin, so the encoder's Model (the name its item caches and
        // models record) never claims fp32 vectors it does not produce.
        if (options.Int8)
            model = model.AsInt8();
        var (onnx, vocabulary) = model.Open();
        if (model.Int8)
            onnx = OnnxWeightQuantizer.Quantize(onnx).Model;
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var queryThreads = options.QueryThreads > 0 ? options.QueryThreads : Environment.ProcessorCount;
        // One container for both sessions: the packed weights are built and held once.
        var packed = new PrePackedWeightsContainer();
        var session = CreateSession(model, onnx, options, threads, packed);
        InferenceSession querySession;
        try
        {
            querySession = queryThreads == threads ? session : CreateSession(model, onnx, options, queryThreads, packed);
        }
        catch
        {
            session.Dispose();
            packed.Dispose();
            throw;
        }
        return new BackboneEncoder(model, options, session, querySession, packed, new WordPieceTokenizer(vocabulary));
    }

    private static InferenceSession CreateSession(BackboneModel model, byte[] onnx, BackboneOptions options, int threads, PrePackedWeightsContainer packed)
    {
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.Optimization,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        InferenceSession session;
        try
        {
            session = new InferenceSession(onnx, sessionOptions, packed);
        }
        catch (OnnxRuntimeException e)
        {
            return ThrowHelper.Artifact<InferenceSession>(model.AssemblyName, $"backbone '{model.Name}' cannot be loaded: {e.Message}");
        }
        if (!session.OutputMetadata.ContainsKey(OutputName))
        {
            session.Dispose();
            return ThrowHelper.Artifact<InferenceSession>(model.AssemblyName, $"backbone '{model.Name}' cannot be loaded: the graph has no '{OutputName}' output");
        }
        return session;
    }

    /// <summary>Encodes item texts as they are (no prefix) into <paramref name="destination"/> [texts, dim].</summary>
    public void EncodeItems(IReadOnlyList<string> texts, Span<float> destination) => Encode(texts, destination, "");

    /// <summary>The vector of one query (the model's query prefix is prepended), through the LRU when on.</summary>
    public float[] EncodeQuery(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_queries is not null && _queries.TryGet(query, out var cached))
            return cached;
        // One text: no sorting or batching, straight to the query session on this thread.
        var vector = new float[Dimension];
        int[][] ids = [_tokenizer.Encode(Model.QueryPrefix.Length == 0 ? query : Model.QueryPrefix + query)];
        ReadOnlySpan<int> only = [0];
        RunBatch(_querySession, ids, only, ids[0].Length, vector);
        _queries?.Add(query, vector);
        return vector;
    }

    /// <summary>Encodes many queries (prefix prepended, no LRU) into <paramref name="destination"/> [queries, dim].</summary>
    public void EncodeQueries(IReadOnlyList<string> queries, Span<float> destination) => Encode(queries, destination, Model.QueryPrefix);

    private void Encode(IReadOnlyList<string> texts, Span<float> destination, string prefix)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var dim = Dimension;
        if (destination.Length != texts.Count * dim)
            ThrowHelper.DimensionMismatch(nameof(destination), destination.Length, texts.Count * dim);
        var ids = new int[texts.Count][];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = _tokenizer.Encode(prefix.Length == 0 ? texts[i] : prefix + texts[i]);
        // Length-sorted batches: neighbours have almost the same length, so padding is nearly zero.
        var keys = new long[ids.Length];
        for (var i = 0; i < keys.Length; i++)
            keys[i] = ((long)ids[i].Length << 32) | (uint)i;
        Array.Sort(keys);
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++)
            order[i] = (int)keys[i];
        var start = 0;
        while (start < order.Length)
        {
            var end = start;
            var longest = 0;
            while (end < order.Length && end - start < Options.MaxBatch)
            {
                var length = Math.Max(longest, ids[order[end]].Length);
                if ((end - start + 1) * length > Options.MaxBatchTokens && end > start) break;
                longest = length;
                end++;
            }
            RunBatch(_session, ids, order.AsSpan(start, end - start), longest, destination);
            start = end;
        }
    }

    private void RunBatch(InferenceSession session, int[][] ids, ReadOnlySpan<int> batch, int length, Span<float> destination)
    {
        var dim = Dimension;
        var b = batch.Length;
        var inputIds = new long[b * length];       // [batch, length]
        var mask = new long[b * length];           // [batch, length]
        var types = new long[b * length];          // [batch, length], all segment 0
        for (var r = 0; r < b; r++)
        {
            var row = ids[batch[r]];
            for (var t = 0; t < row.Length; t++)
            {
                inputIds[r * length + t] = row[t];
                mask[r * length + t] = 1;
            }
        }
        long[] shape = [b, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], [OutputName]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>(); // [batch, length, dim]
        for (var r = 0; r < b; r++)
        {
            var target = destination.Slice(batch[r] * dim, dim);
            var states = hidden.Slice(r * length * dim, length * dim);
            if (Model.Pooling == BackbonePooling.Cls)
            {
                states[..dim].CopyTo(target);
            }
            else
            {
                // The package sums in float over the mask and divides by max(count, 1e-9).
                target.Clear();
                var count = ids[batch[r]].Length;
                for (var t = 0; t < count; t++)
                {
                    // Element-wise, token after token: the package's summation order, so the same floats.
                    TensorPrimitives.Add(target, states.Slice(t * dim, dim), target);
                }
                TensorPrimitives.Multiply(target, 1f / MathF.Max(count, 1e-9f), target);
            }
            Normalize(target);
        }
    }

    /// <summary>v / max(|v|, 1e-12), the package's normalisation.</summary>
    private static void Normalize(Span<float> v)
    {
        var sum = 0f;
        foreach (var x in v)
            sum += x * x;
        var inverse = 1f / MathF.Max(MathF.Sqrt(sum), 1e-12f);
        for (var j = 0; j < v.Length; j++)
            v[j] *= inverse;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!ReferenceEquals(_querySession, _session))
            _querySession.Dispose();
        _session.Dispose();
        _packed.Dispose();
    }
}
