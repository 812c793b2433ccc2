using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mmse.Retrieval;

namespace Mmse.Server;

/// <summary>
/// Turns every failure into a ProblemDetails response: a bad request (bad parameter, malformed
/// JSON, too large a body) is a 4xx naming the problem; only a bug is a 500.
/// </summary>
internal static partial class Problems
{
    public static IResult BadRequest(string detail, string title = "Bad request") =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: title);

    /// <summary>The middleware that catches what handlers throw.</summary>
    public static async Task Handle(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (SearchInputException e) when (!context.Response.HasStarted)
        {
            await Write(context, StatusCodes.Status400BadRequest, "Invalid search parameter", e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // Kestrel's limits (body too large, too slow) and minimal API binding ("k=abc").
            var title = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large",
                StatusCodes.Status408RequestTimeout => "Request timed out",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
                _ => "Bad request",
            };
            await Write(context, e.StatusCode, title, Describe(e.Message)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var logger = context.RequestServices.GetService(typeof(ILogger<SearchServer>)) as ILogger;
            if (logger is not null)
                LogUnhandled(logger, e, context.Request.Method, context.Request.Path);
            await Write(context, StatusCodes.Status500InternalServerError, "Internal error",
                "the server failed to answer; the error is in its log").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// ASP.NET's binding messages name .NET types ("Failed to bind parameter \"Nullable&lt;int&gt; k\"
    /// from \"abc\"."); a client needs the parameter and what it sent, in the API's words.
    /// </summary>
    internal static string Describe(string message)
    {
        var bind = BindFailure().Match(message);
        if (bind.Success)
        {
            var name = bind.Groups["name"].Value;
            var expected = bind.Groups["type"].Value.Contains("int", StringComparison.OrdinalIgnoreCase) ? "a whole number" : "a valid value";
            return bind.Groups["value"].Success
                ? $"'{name}': '{bind.Groups["value"].Value}' is not {expected}"
                : $"'{name}': missing or not {expected}";
        }
        // Anything else from the framework may carry type names too: keep only the words before them.
        return TypeName().IsMatch(message) ? "the request could not be read (a parameter or the body is not valid)" : message;
    }

    [GeneratedRegex("""parameter "(?<type>[^"]*?)\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)"(?: from "(?<value>[^"]*)")?""")]
    private static partial Regex BindFailure();

    [GeneratedRegex("""(`\d|<[A-Za-z]|System\.|Mmse\.)""")]
    private static partial Regex TypeName();

    public static Task Write(HttpContext context, int status, string title, string detail)
    {
        context.Response.Clear();
        return TypedResults.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);
    }

    /// <summary>True when no key is configured, or the request carries it (constant-time compare).</summary>
    public static bool Authorized(HttpRequest request, string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
            return true;
        string? given = request.Headers["X-Api-Key"];
        if (string.IsNullOrEmpty(given))
        {
            string? authorization = request.Headers.Authorization;
            if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                given = authorization["Bearer ".Length..].Trim();
        }
        if (string.IsNullOrEmpty(given))
            return false;
        // Hash both so the comparison takes the same time whatever the lengths.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
