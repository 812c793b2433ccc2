using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mmse.Server;

/// <summary>One hit: the item, its fused score, its per-head cosines and the head that scored best.</summary>
public sealed record HitResponse(
    string Id, string Title, string? Category, string? Brand, float Score, float[] HeadScores, int Head);

/// <summary>
/// The answer to one search. <paramref name="Partial"/> and <paramref name="MissingShards"/> appear only
/// when a Garnet backend answered without some shards (docs/scaling.md).
/// </summary>
public sealed record SearchResponse(string Query, int K, string ModelVersion, double TookMs, IReadOnlyList<HitResponse> Hits,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Partial = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? MissingShards = null);

/// <summary>One query of a batch: the same parameters as GET /search.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BatchQuery(string? Q, int? K = null, IReadOnlyList<string>? Filter = null);

/// <summary>The body of POST /search.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BatchRequest(IReadOnlyList<BatchQuery>? Queries);

/// <summary>The answer to POST /search: one result per query, in order.</summary>
public sealed record BatchResponse(string ModelVersion, double TookMs, IReadOnlyList<SearchResponse> Results);

/// <summary>A catalog item.</summary>
public sealed record ItemResponse(
    string Id, string Title, string? Brand, string? Category, string? Shop, float? Price, IReadOnlyDictionary<string, string>? Attributes);

/// <summary>GET /healthz.</summary>
public sealed record HealthResponse(
    string Status, string ModelVersion, int Heads, int Dim, int Items, long IndexBytes, DateTimeOffset LoadedAt, long Reloads, long FailedReloads);

/// <summary>POST /admin/reload when the new engine is serving.</summary>
public sealed record ReloadResponse(string Outcome, string ModelVersion, int Items, double TookMs);

/// <summary>Source-generated JSON for the API types: no reflection on the hot path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(BatchRequest))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(ItemResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReloadResponse))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
