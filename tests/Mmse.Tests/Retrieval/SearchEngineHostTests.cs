using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

public class SearchEngineHostTests
{
    private static IEngineLoader Loader(Func<SearchEngine> load) => new DelegateEngineLoader("test", _ => load());

    [Fact]
    public async Task Reload_swaps_engines_and_disposes_the_old_one_when_idle()
    {
        var first = ServingTestData.Engine(version: "v1");
        using var host = new SearchEngineHost(first);
        var result = await host.ReloadAsync(Loader(() => ServingTestData.Engine(version: "v2")));
        Assert.Equal(ReloadOutcome.Swapped, result.Outcome);
        Assert.Equal("v2", host.Current.ModelVersion);
        Assert.True(first.IsDisposed);
        Assert.True(((ServingTestData.FixedEncoder)first.Encoder).Disposed);
        Assert.Equal(1, host.Reloads);
    }

    [Fact]
    public async Task A_search_in_flight_keeps_its_engine_alive_across_a_swap()
    {
        var first = ServingTestData.Engine(version: "v1");
        using var host = new SearchEngineHost(first);
        var lease = host.Acquire();
        await host.ReloadAsync(Loader(() => ServingTestData.Engine(version: "v2")));
        Assert.False(first.IsDisposed);
        Assert.Equal(3, lease.Engine.Search(lease.Engine.Validate("q", 3, null)).Hits.Count);
        lease.Dispose();
        Assert.True(first.IsDisposed);
        using var next = host.Acquire();
        Assert.Equal("v2", next.Engine.ModelVersion);
    }

    [Fact]
    public async Task A_failed_load_keeps_the_old_engine_and_says_why()
    {
        var first = ServingTestData.Engine(version: "v1");
        using var host = new SearchEngineHost(first);
        var result = await host.ReloadAsync(Loader(() => throw new MmseArtifactException("m.bin", "bad magic")));
        Assert.Equal(ReloadOutcome.Failed, result.Outcome);
        Assert.True(result.InputError);
        Assert.Equal("m.bin: bad magic", result.Error);
        Assert.Equal("v1", result.ModelVersion);
        Assert.Same(first, host.Current);
        Assert.False(first.IsDisposed);
        Assert.Equal(1, host.FailedReloads);
    }

    [Fact]
    public async Task A_second_reload_while_one_runs_is_busy()
    {
        using var host = new SearchEngineHost(ServingTestData.Engine(version: "v1"));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var slow = host.ReloadAsync(Loader(() =>
        {
            entered.Set();
            release.Wait();
            return ServingTestData.Engine(version: "v2");
        }));
        entered.Wait();
        var busy = await host.ReloadAsync(Loader(() => ServingTestData.Engine(version: "v3")));
        Assert.Equal(ReloadOutcome.Busy, busy.Outcome);
        release.Set();
        Assert.Equal(ReloadOutcome.Swapped, (await slow).Outcome);
        Assert.Equal("v2", host.Current.ModelVersion);
    }

    [Fact]
    public void Disposing_an_engine_twice_releases_the_owner_reference_once()
    {
        var engine = ServingTestData.Engine();
        using var host = new SearchEngineHost(engine);
        var lease = host.Acquire();
        engine.Dispose();
        engine.Dispose();
        Assert.False(engine.IsDisposed);
        lease.Dispose();
        Assert.True(engine.IsDisposed);
    }

    [Fact]
    public void Acquire_after_the_host_is_disposed_throws_instead_of_spinning()
    {
        var host = new SearchEngineHost(ServingTestData.Engine());
        host.Dispose();
        Assert.Throws<ObjectDisposedException>(() => host.Acquire());
    }
}
