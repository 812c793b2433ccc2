namespace Mmse.Tests.Cli;

public class DemoCommandTests
{
    /// <summary>The README's main command, at a tiny size: every stage runs and says where its results are.</summary>
    [Fact]
    public void Demo_runs_every_stage_and_writes_report_model_and_index()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("demo", "--quick", "--out", dir.Path, "--items", "1200", "--requests", "2500", "--epochs", "1", "--threads", "2");
        Assert.True(result.ExitCode == 0, result.Error);
        foreach (var stage in new[] { "1/5", "2/5", "3/5", "4/5", "5/5" })
            Assert.Contains(stage, result.Out);
        foreach (var variant in new[] { "mmse", "two-tower", "bm25", "pretrained", "hybrid" })
            Assert.Contains($"  {variant} ", result.Out);
        Assert.Contains("query: \"", result.Out);
        Assert.True(File.Exists(Path.Combine(dir.Path, "report", "report.md")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "report", "recall_at_k.svg")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "mmse.model")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "items.idx")));
        Assert.Contains("hybrid fusion chosen on validation:", result.Out);
        Assert.True(File.Exists(Path.Combine(dir.Path, "data", "arctic-xs-items.bvc")));
    }

    [Fact]
    public void Demo_rejects_unknown_options()
    {
        var result = CliRunner.Run("demo", "--bogus");
        Assert.Equal(2, result.ExitCode);
    }
}
