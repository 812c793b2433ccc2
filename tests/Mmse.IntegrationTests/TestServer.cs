using System.Net.Http.Json;
using System.Text.Json;
using Mmse.Data;
using Mmse.Retrieval;
using Mmse.Server;

namespace Mmse.IntegrationTests;

/// <summary>A temporary folder, removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mmse-integration", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The small shop every server test searches: known winners for known queries.</summary>
public static class TestCatalog
{
    public static readonly CatalogItem[] Items =
    [
        new("1001", "Apple iPhone 15 128GB black smartphone", "Apple", "Electronics > Phones", Attributes: [new("color", "black")], Price: 799),
        new("1002", "Clear silicone phone case for iPhone 15", "Spigen", "Electronics > Phone Accessories", Attributes: [new("color", "clear")], Price: 15),
        new("1003", "Fresh Gala apples 2 lb bag", "Orchard Co", "Grocery > Fruit", Price: 4.5f),
        new("1004", "Samsung Galaxy S24 256GB grey smartphone", "Samsung", "Electronics > Phones", Attributes: [new("color", "grey")], Price: 899),
        new("1005", "Steel angle bracket 4 pack", "HardCo", "Tools > Hardware", Attributes: [new("material", "steel")], Price: 6),
        new("1006", "Grey fabric three seat sofa", "HomeLine", "Furniture > Sofas", Attributes: [new("color", "grey")], Price: 540),
        new("1007", "Brass door hinge pair", "HardCo", "Tools > Hardware > Hinges", Attributes: [new("material", "brass")], Price: 9),
        new("1008", "Cordless drill 18V with two batteries", "Boschmann", "Tools > Power Tools", Price: 129),
        new("1009", "Organic bananas bunch", "Orchard Co", "Grocery > Fruit", Price: 2),
        new("1010", "Leather two seat sofa brown", "HomeLine", "Furniture > Sofas", Attributes: [new("color", "brown")], Price: 890),
        new("1011", "USB-C charging cable 2m", "Spigen", "Electronics > Phone Accessories", Attributes: [new("color", "white")], Price: 12),
        new("1012", "Wooden coffee table oak", "HomeLine", "Furniture > Tables", Attributes: [new("material", "oak")], Price: 210),
    ];

    /// <summary>Writes the catalog as JSONL and returns its path.</summary>
    public static string Write(string path)
    {
        using var writer = new CatalogJsonlWriter(path);
        foreach (var item in Items)
            writer.Write(item);
        writer.Commit();
        return path;
    }
}

/// <summary>
/// A loader the tests steer: each load reads the catalog file and builds a hashing-encoder
/// engine with the current <see cref="Dim"/> (so the model version shows which load serves),
/// or fails like a corrupt artifact when <see cref="Fail"/> is set.
/// </summary>
public sealed class SteerableLoader(string catalogPath) : IEngineLoader
{
    private int _dim = 128;
    private int _loads;

    public volatile bool Fail;

    /// <summary>Milliseconds each load sleeps, to make a reload overlap many searches.</summary>
    public int DelayMs { get; set; }

    public int Dim { get => Volatile.Read(ref _dim); set => Volatile.Write(ref _dim, value); }

    public int Loads => Volatile.Read(ref _loads);

    public string Description => $"test engine from {catalogPath}";

    public SearchEngine Load(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        if (DelayMs > 0)
            Thread.Sleep(DelayMs);
        if (Fail)
            throw new MmseArtifactException("model.bin", "bad magic: not an mmse model");
        return new BuiltInEngineLoader(new EngineSource($"hashing:dim={Dim}", "exact", catalogPath)).Load(cancellationToken);
    }
}

/// <summary>One running server on 127.0.0.1 with a free port, and a client for it.</summary>
public sealed class ServerHarness : IAsyncDisposable
{
    private readonly TempDir _dir;

    private ServerHarness(TempDir dir, SearchServer server, SteerableLoader loader)
    {
        _dir = dir;
        Server = server;
        Loader = loader;
        BaseAddress = new Uri(server.Urls[0]);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public SearchServer Server { get; }

    public SteerableLoader Loader { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public static async Task<ServerHarness> StartAsync(ServerOptions? options = null)
    {
        var dir = new TempDir();
        var loader = new SteerableLoader(TestCatalog.Write(dir.File("catalog.jsonl")));
        // Port 0: the kernel picks a free port, so parallel test classes never collide.
        options = (options ?? new ServerOptions()) with { Urls = ["http://127.0.0.1:0"], LogToConsole = false };
        var server = await SearchServer.StartAsync(options, loader);
        return new ServerHarness(dir, server, loader);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>A server shared by the tests of one class (xunit class fixture).</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public ServerHarness Harness { get; private set; } = null!;

    public HttpClient Client => Harness.Client;

    public async Task InitializeAsync() => Harness = await ServerHarness.StartAsync(new ServerOptions { ApiKey = "s3cret" });

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

public static class Json
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"HTTP {(int)response.StatusCode}: not JSON ({e.Message}): {text}");
        }
    }

    /// <summary>Asserts a ProblemDetails response with the status and a detail containing <paramref name="detailPart"/>.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, int status, string detailPart)
    {
        var body = await ReadAsync(response);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        Assert.Contains(detailPart, body.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        return body;
    }

    public static StringContent Body(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    public static JsonContent Body<T>(T value) => JsonContent.Create(value);
}
