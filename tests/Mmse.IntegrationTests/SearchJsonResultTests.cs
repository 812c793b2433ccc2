using System.Buffers;
using System.Text;
using System.Text.Json;
using Mmse.Data;
using Mmse.Retrieval;
using Mmse.Server;

namespace Mmse.IntegrationTests;

/// <summary>GET /search's hand-written JSON against the serializer's JSON of the same answer.</summary>
public class SearchJsonResultTests
{
    [Fact]
    public void Hand_written_json_equals_the_serialized_response_byte_for_byte()
    {
        var builder = new CatalogBuilder();
        string?[] brands = ["HardCo", null, "Ü\"ber\\Brand", "<script>"];
        string?[] categories = ["Tools > Hardware", "Möbel > Sofas", null, "家電 > マウス"];
        for (var i = 0; i < 40; i++)
            builder.TryAdd(new CatalogItem($"id{i}", $"Item {i} \"quoted\" café 無線 \u2028 😀", brands[i % 4], categories[(i / 4) % 4]));
        var catalog = builder.Build();
        var encoder = new HashingQueryEncoder(new HashingEncoderOptions { Dim = 16 });
        var vectors = new float[catalog.Count * 16];
        var random = new Random(3);
        for (var i = 0; i < vectors.Length; i++)
            vectors[i] = (float)(random.NextDouble() * 2 - 1);
        using var engine = new SearchEngine(encoder, new ExactItemIndex(vectors, 16), catalog);
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = ServerJsonContext.Default };
        foreach (var (text, k) in new[] { ("angle bracket", 10), ("Café \"x\"", 1), ("無線", 40), ("nothing", 7) })
        {
            var query = engine.Validate(text, k, null);
            var hits = engine.SearchItems(query, out var tookMs);
            tookMs = Math.Round(tookMs, 3);
            var records = new HitResponse[hits.Count];
            for (var i = 0; i < hits.Count; i++)
            {
                var item = hits.Items[i];
                records[i] = new HitResponse(catalog.Ids[item], catalog.Titles[item], catalog.Categories[item], catalog.Brands[item],
                    hits.Scores[i], hits.HeadScores(i).ToArray(), hits.BestHead(i));
            }
            var expected = JsonSerializer.SerializeToUtf8Bytes(new SearchResponse(query.Text, query.K, engine.ModelVersion, tookMs, records), options);
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
                new SearchJsonResult(query.Text, query.K, engine.ModelVersion, tookMs, hits, catalog).Write(writer);
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }
}
