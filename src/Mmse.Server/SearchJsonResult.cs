using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Mmse.Data;
using Mmse.Retrieval;

namespace Mmse.Server;

/// <summary>
/// The answer to GET /search written straight from the engine's <see cref="SearchHits"/> and the
/// catalog's columns: the same JSON, byte for byte, as serialising a <see cref="SearchResponse"/>
/// (a test holds it to that), without building the response records first. The bytes are
/// written into a per-thread buffer, then copied into the response pipe with their length, so
/// the response goes out with Content-Length in one write.
/// </summary>
internal sealed class SearchJsonResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private static readonly JsonEncodedText s_query = JsonEncodedText.Encode("query");
    private static readonly JsonEncodedText s_k = JsonEncodedText.Encode("k");
    private static readonly JsonEncodedText s_modelVersion = JsonEncodedText.Encode("modelVersion");
    private static readonly JsonEncodedText s_tookMs = JsonEncodedText.Encode("tookMs");
    private static readonly JsonEncodedText s_hits = JsonEncodedText.Encode("hits");
    private static readonly JsonEncodedText s_id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText s_title = JsonEncodedText.Encode("title");
    private static readonly JsonEncodedText s_category = JsonEncodedText.Encode("category");
    private static readonly JsonEncodedText s_brand = JsonEncodedText.Encode("brand");
    private static readonly JsonEncodedText s_score = JsonEncodedText.Encode("score");
    private static readonly JsonEncodedText s_headScores = JsonEncodedText.Encode("headScores");
    private static readonly JsonEncodedText s_head = JsonEncodedText.Encode("head");
    private static readonly JsonEncodedText s_partial = JsonEncodedText.Encode("partial");
    private static readonly JsonEncodedText s_missingShards = JsonEncodedText.Encode("missingShards");

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_writer;

    private readonly string _query;
    private readonly int _k;
    private readonly string _modelVersion;
    private readonly double _tookMs;
    private readonly SearchHits _hits;
    private readonly Catalog _catalog;

    public SearchJsonResult(string query, int k, string modelVersion, double tookMs, SearchHits hits, Catalog catalog)
    {
        _query = query;
        _k = k;
        _modelVersion = modelVersion;
        _tookMs = tookMs;
        _hits = hits;
        _catalog = catalog;
    }

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => "application/json; charset=utf-8";

    /// <summary>The OpenAPI document describes the answer as <see cref="SearchResponse"/>.</summary>
    public static void PopulateMetadata(System.Reflection.MethodInfo method, Microsoft.AspNetCore.Builder.EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(SearchResponse), ["application/json"]));
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        var (buffer, writer) = t_writer ??= Create();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer);
        writer.Flush();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = buffer.WrittenCount;
        // Copied out before the first await: the per-thread buffer is free again afterwards.
        var pipe = response.BodyWriter;
        buffer.WrittenSpan.CopyTo(pipe.GetSpan(buffer.WrittenCount));
        pipe.Advance(buffer.WrittenCount);
        await pipe.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) Create()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        return (buffer, new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }));
    }

    /// <summary>The JSON of a <see cref="SearchResponse"/> for these hits.</summary>
    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString(s_query, _query);
        writer.WriteNumber(s_k, _k);
        writer.WriteString(s_modelVersion, _modelVersion);
        writer.WriteNumber(s_tookMs, _tookMs);
        writer.WriteStartArray(s_hits);
        for (var i = 0; i < _hits.Count; i++)
        {
            var item = _hits.Items[i];
            writer.WriteStartObject();
            writer.WriteString(s_id, _catalog.Ids[item]);
            writer.WriteString(s_title, _catalog.Titles[item]);
            WriteNullable(writer, s_category, _catalog.Categories[item]);
            WriteNullable(writer, s_brand, _catalog.Brands[item]);
            writer.WriteNumber(s_score, _hits.Scores[i]);
            writer.WriteStartArray(s_headScores);
            foreach (var z in _hits.HeadScores(i))
                writer.WriteNumberValue(z);
            writer.WriteEndArray();
            writer.WriteNumber(s_head, _hits.BestHead(i));
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (_hits.Partial)
        {
            writer.WriteBoolean(s_partial, true);
            writer.WriteStartArray(s_missingShards);
            foreach (var shard in _hits.MissingShards)
                writer.WriteStringValue(shard);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is null)
            writer.WriteNull(name);
        else
            writer.WriteString(name, value);
    }
}
