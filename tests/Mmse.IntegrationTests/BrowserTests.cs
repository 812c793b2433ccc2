using Microsoft.Playwright;

namespace Mmse.IntegrationTests;

/// <summary>Runs only where Debian's Chromium is installed (.ci/install puts it there).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath))
            Skip = $"no Chromium at {ChromiumPath}; .ci/install installs Debian's 'chromium' package";
    }
}

/// <summary>The search page in a real headless browser, driven by Playwright.</summary>
public class BrowserTests
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    /// <summary>Screenshots go to artifacts/screenshots/ at the repository root (or the test folder outside a checkout).</summary>
    private static string ScreenshotPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mmse.slnx")))
            dir = dir.Parent;
        var folder = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });

    [ChromiumFact]
    public async Task Typing_a_query_shows_ranked_results_with_scores_latency_and_matched_head_at_phone_width()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        page.SetDefaultTimeout(20_000);
        var externalRequests = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(harness.BaseAddress.ToString(), StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                externalRequests.Add(request.Url);
        };

        await page.GotoAsync(harness.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#engine")).ToContainTextAsync("hashing-v1-d128");
        await page.FillAsync("#q", "angle bracket");
        await page.PressAsync("#q", "Enter");
        await page.WaitForSelectorAsync("li.hit");

        var titles = await page.Locator("li.hit .title").AllTextContentsAsync();
        Assert.Equal(10, titles.Count);
        Assert.Equal("Steel angle bracket 4 pack", titles[0]);
        var score = await page.Locator("li.hit .score").First.TextContentAsync();
        Assert.Matches(@"^-?\d\.\d{3}$", score);
        Assert.Equal(10, await page.Locator("li.hit .head.matched").CountAsync());
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync(" ms");
        Assert.Contains("q=angle+bracket", page.Url);
        // Usable at phone width: nothing sticks out sideways.
        var overflow = await page.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(overflow, "the page scrolls sideways at 390 px");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("search-phone.png"), FullPage = true });

        // A filter narrows the results; a bad one shows the server's reason.
        await page.FillAsync("#filter", "category:Tools > Hardware");
        await page.ClickAsync("#go");
        await Assertions.Expect(page.Locator("li.hit")).ToHaveCountAsync(2);
        await page.FillAsync("#filter", "colour:red");
        await page.ClickAsync("#go");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("unknown filter field 'colour'");
        Assert.Equal(0, await page.Locator("li.hit").CountAsync());
        Assert.Empty(externalRequests);
    }

    [ChromiumFact]
    public async Task A_shared_link_runs_its_search_on_a_desktop_screen()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(new Uri(harness.BaseAddress, "/?q=grey+sofa&k=20").ToString());
        await page.WaitForSelectorAsync("li.hit");
        Assert.Equal("grey sofa", await page.InputValueAsync("#q"));
        Assert.Equal(TestCatalog.Items.Length, await page.Locator("li.hit").CountAsync());
        Assert.Equal("Grey fabric three seat sofa", await page.Locator("li.hit .title").First.TextContentAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("search-desktop.png") });
    }

    [ChromiumFact]
    public async Task A_shared_link_with_k_off_the_menu_still_searches()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        foreach (var (k, expected) in new[] { ("5", "10"), ("abc", "10"), ("30", "50"), ("5000", "100") })
        {
            await page.GotoAsync(new Uri(harness.BaseAddress, $"/?q=grey+sofa&k={k}").ToString());
            await page.WaitForSelectorAsync("li.hit");
            Assert.Equal(expected, await page.InputValueAsync("#k"));
            Assert.True(await page.Locator("#error").IsHiddenAsync(), $"k={k}: {await page.Locator("#error").TextContentAsync()}");
        }
    }
}
