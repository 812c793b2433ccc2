using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Mmse.Retrieval;

namespace Mmse.Server.Endpoints;

/// <summary>GET /items/{id}: one catalog item.</summary>
public static class ItemEndpoints
{
    public static IEndpointRouteBuilder MapItemEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/items/{id}", GetItem)
            .WithName("GetItem")
            .WithSummary("One catalog item by id")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static Results<Ok<ItemResponse>, ProblemHttpResult> GetItem(string id, SearchEngineHost host)
    {
        using var lease = host.Acquire();
        var catalog = lease.Engine.Catalog;
        var index = catalog.IndexOf(id);
        if (index < 0)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such item", detail: $"no item has id '{id}'");
        var item = catalog.Get(index);
        Dictionary<string, string>? attributes = null;
        if (item.Attributes is { Count: > 0 })
        {
            attributes = new(StringComparer.Ordinal);
            foreach (var (key, value) in item.Attributes)
                attributes.TryAdd(key, value);
        }
        return TypedResults.Ok(new ItemResponse(item.Id, item.Title, item.Brand, item.Category, item.Shop, item.Price, attributes));
    }
}
