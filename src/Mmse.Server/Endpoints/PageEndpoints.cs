using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mmse.Server.Endpoints;

/// <summary>The search page at / and its script and style, embedded in the assembly.</summary>
public static class PageEndpoints
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType, string ETag)> s_assets = Load();

    public static IEndpointRouteBuilder MapPageEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html")).ExcludeFromDescription();
        app.MapGet("/app.js", (HttpContext context) => Serve(context, "app.js")).ExcludeFromDescription();
        app.MapGet("/app.css", (HttpContext context) => Serve(context, "app.css")).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext context, string name)
    {
        var (bytes, contentType, etag) = s_assets[name];
        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "no-cache";
        // Everything the page needs comes from this server; nothing else may load or run.
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch == etag)
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(bytes, contentType);
    }

    private static Dictionary<string, (byte[], string, string)> Load()
    {
        var assembly = typeof(PageEndpoints).Assembly;
        var result = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var (name, type) in new[] { ("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream("wwwroot/" + name)
                ?? throw new InvalidOperationException($"the page asset wwwroot/{name} is not embedded in {assembly.GetName().Name}");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            result[name] = (bytes, type, $"\"{Convert.ToHexString(SHA256.HashData(bytes), 0, 8)}\"");
        }
        return result;
    }
}
