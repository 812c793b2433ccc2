using System.Globalization;
using Mmse.Internals;
using StackExchange.Redis;

namespace Mmse.Garnet;

/// <summary>
/// Where the item vectors live: <c>garnet://HOST:PORT[,HOST:PORT...]</c>, any nodes of one
/// cluster (the client discovers the rest), and the key prefix of this catalog's sets.
/// </summary>
public sealed record GarnetTarget(IReadOnlyList<string> Endpoints, string Prefix = GarnetTarget.DefaultPrefix)
{
    /// <summary>The key prefix when none is given: keys are <c>mmse:manifest</c>, <c>mmse:{tag}:v</c>...</summary>
    public const string DefaultPrefix = "mmse";

    /// <summary>The manifest key: one JSON string recording the model, dimension and shard keys.</summary>
    public string ManifestKey => Prefix + ":manifest";

    /// <summary>
    /// Parses <c>garnet://h:p,h:p</c> (the scheme may also be <c>redis://</c>); throws
    /// <see cref="MmseInputException"/> naming <paramref name="option"/> when it is malformed.
    /// </summary>
    public static GarnetTarget Parse(string text, string option = "--to", string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text.StartsWith("garnet://", StringComparison.OrdinalIgnoreCase) ? text["garnet://".Length..]
            : text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? text["redis://".Length..]
            : ThrowHelper.Input<string>($"{option} '{text}': expected garnet://HOST:PORT[,HOST:PORT...]");
        var endpoints = rest.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (endpoints.Length == 0)
            ThrowHelper.Input($"{option} '{text}': names no HOST:PORT");
        foreach (var endpoint in endpoints)
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535)
                ThrowHelper.Input($"{option} '{text}': '{endpoint}' is not HOST:PORT");
        }
        if (string.IsNullOrWhiteSpace(prefix) || prefix.AsSpan().IndexOfAny("{} ") >= 0)
            ThrowHelper.Input($"--name '{prefix}': a key prefix without spaces or braces");
        return new GarnetTarget(endpoints, prefix);
    }

    /// <summary>The client's settings: fail fast at connect, retry in the background afterwards.</summary>
    public ConfigurationOptions Configuration(TimeSpan connectTimeout)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = true,
            ConnectTimeout = (int)connectTimeout.TotalMilliseconds,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            ConnectRetry = 1,
            KeepAlive = 5,
            ReconnectRetryPolicy = new LinearRetry(100),
            ClientName = "mmse",
        };
        foreach (var endpoint in Endpoints)
            options.EndPoints.Add(endpoint);
        return options;
    }

    /// <summary>
    /// Connects to the cluster; a cluster that does not answer is the user's to fix, so it is an
    /// <see cref="MmseInputException"/> (exit 2) naming the addresses, not a stack trace.
    /// </summary>
    public ConnectionMultiplexer Connect(TimeSpan? connectTimeout = null, TextWriter? log = null)
    {
        try
        {
            var mux = ConnectionMultiplexer.Connect(Configuration(connectTimeout ?? TimeSpan.FromSeconds(5)), log);
            if (!mux.GetServers().Any(s => s.IsConnected && !s.IsReplica))
            {
                mux.Dispose();
                ThrowHelper.Input($"Garnet at {string.Join(',', Endpoints)}: connected, but no primary answers");
            }
            return mux;
        }
        catch (RedisConnectionException e)
        {
            return ThrowHelper.Input<ConnectionMultiplexer>(
                $"Garnet at {string.Join(',', Endpoints)} does not answer (is the cluster up? deploy/garnet/cluster.sh up 3): {FirstLine(e.Message)}", e);
        }
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? message : message[..newline].TrimEnd();
    }
}
