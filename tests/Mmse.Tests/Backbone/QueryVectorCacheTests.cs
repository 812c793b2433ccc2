using Mmse.Backbone;

namespace Mmse.Tests.Backbone;

public class QueryVectorCacheTests
{
    [Fact]
    public void Least_recently_used_query_leaves_first()
    {
        var cache = new QueryVectorCache(2);
        cache.Add("a", [1f]);
        cache.Add("b", [2f]);
        Assert.True(cache.TryGet("a", out _));
        cache.Add("c", [3f]);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal([1f], a);
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(2, cache.Count);
        cache.Add("a", [4f]);
        Assert.True(cache.TryGet("a", out a));
        Assert.Equal([4f], a);
    }
}
