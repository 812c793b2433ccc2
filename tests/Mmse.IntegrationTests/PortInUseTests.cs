using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mmse.IntegrationTests;

/// <summary>Issue 15: a port in use is one clean line and exit 2, with no stack trace on either stream.</summary>
public class PortInUseTests
{
    [Fact]
    public async Task Serve_on_a_port_in_use_says_so_in_one_line()
    {
        using var dir = new TempDir();
        var catalog = TestCatalog.Write(dir.File("catalog.jsonl"));
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        // A process of its own: the console logger writes to the real stdout, which is what users see.
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Mmse.Cli.dll"), "serve", "--model", "hashing", "--index", "exact",
                     "--catalog", catalog, "--urls", $"http://127.0.0.1:{port}" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var (output, error) = (await stdout, await stderr);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("address already in use", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output + error, StringComparison.Ordinal);
    }
}
