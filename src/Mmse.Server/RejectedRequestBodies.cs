using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mmse.Server;

/// <summary>
/// Gives a problem body to the requests Kestrel refuses while parsing, before any application
/// code runs: a request line over <see cref="MaxRequestLineBytes"/> (414), headers over their
/// limits (431), a path whose percent-decoding holds a NUL such as <c>/items/%00</c> (400), a
/// malformed request line (400). Kestrel answers those with an empty body, and there is no
/// setting or middleware hook for it (it never calls the application, and `%00` is refused in its
/// path decoder whatever the options). Two public seams make it possible: Kestrel raises the
/// diagnostic event <see cref="BadRequestEvent"/> with the refused request's features before it
/// writes its answer, and connection middleware may wrap a connection's output. The event marks
/// the connection; the wrapper then holds what Kestrel writes next (only its empty answer: Kestrel
/// writes nothing else on a refused connection and closes it) and, if it is exactly the expected
/// HTTP/1.x head with <c>Content-Length: 0</c>, sends the same head with a JSON problem body
/// instead. Anything else is passed on unchanged, so the worst case is Kestrel's own empty answer.
/// </summary>
internal sealed class RejectedRequestBodies : IObserver<KeyValuePair<string, object?>>
{
    /// <summary>Kestrel's diagnostic event for a refused request (its payload is the request's feature collection).</summary>
    public const string BadRequestEvent = "Microsoft.AspNetCore.Server.Kestrel.BadRequest";

    /// <summary>Kestrel's limit on the request line (method, URL, version), applied before the application sees it.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>Kestrel's limit on all request headers together.</summary>
    public const int MaxRequestHeadersBytes = 32 * 1024;

    /// <summary>Kestrel's limit on the number of request headers.</summary>
    public const int MaxRequestHeaderCount = 64;

    private readonly ConcurrentDictionary<string, RefusalWriter> _connections = new(StringComparer.Ordinal);

    /// <summary>Connection middleware: every HTTP/1.x connection writes through a <see cref="RefusalWriter"/>.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var transport = connection.Transport;
        var writer = new RefusalWriter(transport.Output);
        connection.Transport = new DuplexPipe(transport.Input, writer);
        _connections[connection.ConnectionId] = writer;
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.ConnectionId, out _);
            connection.Transport = transport;
        }
    };

    /// <summary>Only the refusal event: every other event of the listener stays disabled (no per-request cost).</summary>
    public static bool IsEnabled(string name) => name == BadRequestEvent;

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != BadRequestEvent || value.Value is not IFeatureCollection features)
            return;
        var connection = features.Get<IHttpConnectionFeature>()?.ConnectionId;
        var response = features.Get<IHttpResponseFeature>();
        var protocol = features.Get<IHttpRequestFeature>()?.Protocol;
        // HTTP/2 and 3 refuse a stream with frames, not with a head to rewrite.
        if (connection is null || response is null || response.HasStarted || protocol is "HTTP/2" or "HTTP/3"
            || !_connections.TryGetValue(connection, out var writer))
            return;
        var error = features.Get<IBadRequestExceptionFeature>()?.Error;
        var status = (error as BadHttpRequestException)?.StatusCode ?? response.StatusCode;
        writer.ExpectRefusal(Body(status, error?.Message));
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    /// <summary>The problem body for a refusal, in the API's words (Kestrel's own messages may be empty or echo raw bytes).</summary>
    internal static byte[] Body(int status, string? message)
    {
        var (title, detail) = status switch
        {
            StatusCodes.Status414UriTooLong => ("URL too long",
                $"the request line (method, URL and version) is over {MaxRequestLineBytes} bytes; send long queries in the body of POST /search"),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => ("Request headers too large",
                $"the request headers are over {MaxRequestHeadersBytes} bytes or {MaxRequestHeaderCount} headers"),
            StatusCodes.Status408RequestTimeout => ("Request timed out", "the request line and headers did not arrive in time"),
            _ when message?.StartsWith("Invalid request target", StringComparison.Ordinal) == true => ("Bad request",
                "the URL is not a valid request target: a path may not hold an encoded NUL (%00) or bytes outside the URL syntax"),
            _ => ("Bad request", "the request is not valid HTTP/1.1 (request line or headers malformed)"),
        };
        var body = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("type", $"https://tools.ietf.org/html/rfc9110#section-15.5.{(status is >= 400 and <= 417 ? status - 399 : 1)}");
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }
        return body.WrittenSpan.ToArray();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>
/// A connection's output, passed straight through until the connection is marked as refused;
/// from then on the writes (Kestrel's empty refusal) are held and, at the flush, replaced by the
/// same head with a problem body. Kestrel writes a connection's output from one request at a time
/// and has flushed the previous response before it parses the next request, so what follows the
/// mark is the refusal alone; the check in <see cref="WithBody"/> keeps any surprise unchanged.
/// </summary>
internal sealed class RefusalWriter(PipeWriter inner) : PipeWriter
{
    private ArrayBufferWriter<byte>? _held;
    private byte[]? _body;

    public void ExpectRefusal(byte[] body)
    {
        _body = body;
        _held = new ArrayBufferWriter<byte>(512);
    }

    public override void Advance(int bytes)
    {
        if (_held is null)
            inner.Advance(bytes);
        else
            _held.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _held is null ? inner.GetMemory(sizeHint) : _held.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _held is null ? inner.GetSpan(sizeHint) : _held.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + (_held?.WrittenCount ?? 0);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Release();
        return inner.FlushAsync(cancellationToken);
    }

    public override void Complete(Exception? exception = null)
    {
        Release();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Release();
        return inner.CompleteAsync(exception);
    }

    private void Release()
    {
        if (_held is not { WrittenCount: > 0 } held || _body is null)
            return;
        var written = held.WrittenSpan;
        inner.Write(WithBody(written, _body) ?? written);
        _held = null;
        _body = null;
    }

    /// <summary>
    /// The refusal with <paramref name="body"/>: null unless <paramref name="written"/> is exactly
    /// one HTTP/1.x response head that ends the message with <c>Content-Length: 0</c>.
    /// </summary>
    internal static byte[]? WithBody(ReadOnlySpan<byte> written, byte[] body)
    {
        if (!(written.StartsWith("HTTP/1.1 4"u8) || written.StartsWith("HTTP/1.0 4"u8)) || !written.EndsWith("\r\n\r\n"u8)
            || written.IndexOf("\r\n\r\n"u8) != written.Length - 4)
            return null;
        var lines = Encoding.Latin1.GetString(written[..^4]).Split("\r\n");
        if (!lines.Skip(1).Any(l => l.Equals("Content-Length: 0", StringComparison.OrdinalIgnoreCase)))
            return null;
        var head = new StringBuilder(written.Length + 64);
        foreach (var line in lines)
        {
            if (!line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                head.Append(line).Append("\r\n");
        }
        head.Append("Content-Type: application/problem+json\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }
}
