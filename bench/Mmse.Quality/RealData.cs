using System.Text;
using System.Text.Json;
using Mmse.Data;
using Mmse.Text;

namespace Mmse.Quality;

/// <summary>One judged request of train.jsonl: the query and its judged catalog indices with actions.</summary>
internal sealed record Request(string Query, int[] Items, UserAction[] Actions, int Part);

/// <summary>
/// Loads a catalog.jsonl + train.jsonl pair (the Home Depot development set or any data in
/// Mmse's formats) and splits the requests by a stable hash of the query, so every harness
/// and the Python research scripts see the same parts.
/// </summary>
internal sealed class RealData
{
    /// <summary>Parts of the split: hash % 100 below 20 is validation, 20..29 tuning, the rest training.</summary>
    public const int Train = 0, Tune = 1, Validation = 2;

    public required Catalog Catalog { get; init; }
    public required Request[] Requests { get; init; }

    public static int PartOf(string query)
    {
        var h = HashedTokenizer.Hash(Encoding.UTF8.GetBytes(query), 0) % 100;
        return h < 20 ? Validation : h < 30 ? Tune : Train;
    }

    public static RealData Load(string dir)
    {
        var catalog = CatalogReader.Read(Path.Combine(dir, "catalog.jsonl"));
        var requests = new List<Request>();
        foreach (var line in File.ReadLines(Path.Combine(dir, "train.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var query = doc.RootElement.GetProperty("query").GetString()!;
            var items = new List<int>();
            var actions = new List<UserAction>();
            foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
            {
                var index = catalog.IndexOf(item.GetProperty("id").GetString()!);
                if (index < 0) continue;
                items.Add(index);
                actions.Add(item.TryGetProperty("action", out var a) ? a.GetString() switch
                {
                    "order" => UserAction.Order,
                    "cart" => UserAction.Cart,
                    "click" => UserAction.Click,
                    _ => UserAction.None,
                } : UserAction.None);
            }
            requests.Add(new Request(query, [.. items], [.. actions], PartOf(query)));
        }
        return new RealData { Catalog = catalog, Requests = [.. requests] };
    }
}
