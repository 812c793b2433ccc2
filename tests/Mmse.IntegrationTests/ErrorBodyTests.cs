using System.Text;

namespace Mmse.IntegrationTests;

/// <summary>Issue 15: error bodies say what was wrong in the API's words and never name a .NET type.</summary>
public class ErrorBodyTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly HttpClient _client = shared.Client;

    private static void AssertNoTypeNames(string body)
    {
        foreach (var leak in new[] { "Nullable", "Mmse.", "System.", "`1", "Int32", "<int>" })
            Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/search?q=sofa&k=abc", "'k': 'abc' is not a whole number")]
    [InlineData("/search?q=sofa&k=5.5", "'k': '5.5' is not a whole number")]
    public async Task A_parameter_that_does_not_bind_is_named_without_types(string url, string detail)
    {
        using var response = await _client.GetAsync(url);
        var problem = await Json.AssertProblemAsync(response, 400, detail);
        AssertNoTypeNames(problem.ToString());
    }

    [Theory]
    [InlineData("""{"queries": [1]}""", "$.queries[0]")]
    [InlineData("""{"queries": [{"q": "sofa", "filter": "brand:x"}]}""", "$.queries[0].filter")]
    [InlineData("""{"queries": [{"q": "sofa", "k": "ten"}]}""", "$.queries[0].k")]
    public async Task A_batch_value_of_the_wrong_type_says_where_without_types(string body, string path)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/search", content);
        var problem = await Json.AssertProblemAsync(response, 400, path);
        AssertNoTypeNames(problem.ToString());
    }
}
